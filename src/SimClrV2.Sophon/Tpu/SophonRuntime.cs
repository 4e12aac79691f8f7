using System.Globalization;
using System.Text;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>Entry points of the SOPHON binding outside a classifier: the device count, a bmodel's description and a diagnosis of the installation.</summary>
public static class SophonRuntime
{
    /// <summary>
    /// The number of SOPHON devices; 0 (never an exception) when libbmlib or the driver is missing.
    /// Only libbmlib is loaded: a libbmrt that cannot be loaded does not hide the devices (the
    /// model calls then report why it cannot load).
    /// </summary>
    /// <returns>The device count.</returns>
    public static unsafe int GetDeviceCount()
    {
        try
        {
            SophonLibrary.EnsureBmlibLoaded();
        }
        catch (SophonLibraryNotFoundException)
        {
            return 0;
        }

        int count = 0; // bm_dev_getcount leaves it untouched when there is no driver
        return SophonNative.bm_dev_getcount(&count) == SophonStatus.Success ? Math.Max(count, 0) : 0;
    }

    /// <summary>
    /// Loads a bmodel on a device and describes it, one line per fact: its networks, each input
    /// and output (dtype, scale, zero point, largest size) and each stage (batch, shapes); what
    /// <c>simclrv2 inspect</c> prints.
    /// </summary>
    /// <param name="bmodelPath">The .bmodel file.</param>
    /// <param name="deviceId">The device to load it on.</param>
    /// <returns>The description, lines ending in a newline.</returns>
    /// <exception cref="FileNotFoundException">The bmodel does not exist.</exception>
    /// <exception cref="SophonLibraryNotFoundException">libsophon is not installed.</exception>
    /// <exception cref="SophonModelException">The bmodel is damaged.</exception>
    /// <exception cref="SophonException">The device or the runtime failed.</exception>
    public static string DescribeModel(string bmodelPath, int deviceId = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(bmodelPath);
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        using SophonModel model = SophonModel.Load(bmodelPath, deviceId);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{model.Source} on device {model.DeviceId}: {model.Networks.Count} network(s)").Append('\n');
        foreach (SophonNetworkInfo net in model.Networks)
        {
            text.Append(CultureInfo.InvariantCulture, $"network '{net.Name}'{(net.IsDynamic ? " (dynamic)" : string.Empty)}").Append('\n');
            for (int i = 0; i < net.Inputs.Count; i++)
            {
                text.Append(Tensor("input", net.Inputs[i], net.MaxInputBytes[i])).Append('\n');
            }

            for (int i = 0; i < net.Outputs.Count; i++)
            {
                text.Append(Tensor("output", net.Outputs[i], net.MaxOutputBytes[i])).Append('\n');
            }

            for (int index = 0; index < net.Stages.Count; index++)
            {
                SophonStage stage = net.Stages[index];
                text.Append(CultureInfo.InvariantCulture, $"  stage {index}: batch {stage.BatchSize}, inputs {Shapes(stage.InputShapes)}, outputs {Shapes(stage.OutputShapes)}").Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Checks a SOPHON installation the way <c>simclrv2 doctor</c> does: where libsophon was found and
    /// its versions, the devices (count, chip, memory) and, given a bmodel, a timed launch of it,
    /// BMCV against CPU tensors on synthetic images, JPU against CPU decode on a colour test card,
    /// the VPP's passes for a full HD frame, and its manifest against the network. Never throws for
    /// what it checks: each failure is a <see cref="SophonCheckStatus.Fail"/> with what to do.
    /// </summary>
    /// <param name="bmodelPath">A bmodel to launch and check preprocessing with; null to check the installation only.</param>
    /// <param name="deviceId">The device to check.</param>
    /// <returns>The facts and the checks.</returns>
    public static SophonDiagnosis Diagnose(string? bmodelPath = null, int deviceId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        if (bmodelPath is not null && !File.Exists(bmodelPath))
        {
            throw new FileNotFoundException($"No bmodel at '{bmodelPath}'.", bmodelPath);
        }

        return SophonDoctor.Run(bmodelPath, deviceId);
    }

    private static string Tensor(string kind, SophonTensorInfo t, long maxBytes) =>
        string.Create(CultureInfo.InvariantCulture, $"  {kind} '{t.Name}': {t.DataType}, scale {t.Scale:G6}, zero point {t.ZeroPoint}, max {maxBytes} bytes");

    private static string Shapes(IReadOnlyList<IReadOnlyList<int>> shapes) =>
        string.Join(" ", shapes.Select(s => $"[{string.Join(", ", s)}]"));
}
