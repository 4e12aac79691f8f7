using System.CommandLine;
using SimClrV2.Cli;

var root = new RootCommand("simclrv2: classify images with SimCLR/SimCLRv2 models (ONNX Runtime on the CPU) and evaluate the results.")
{
    ClassifyCommand.Create(),
    EvalCommand.Create(),
};
return root.Parse(args).Invoke();
