using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// The managed structs and offsets against an independent source: a C++ compiler's sizeof and
/// offsetof over the vendor's own headers (../shared/vendor/libsophon/include, bmlib_runtime.h,
/// bmdef.h, bmcv_api_ext.h; 64-bit Linux), not against literals typed next to them.
/// </summary>
public class VendorLayoutTests
{
    private static Dictionary<string, long>? s_vendor;

    [Test]
    public void DeviceMemoryMatchesBmMemDesc()
    {
        Dictionary<string, long> v = Vendor();
        Assert.That(Marshal.SizeOf<BmDeviceMem>(), Is.EqualTo(v["sizeof bm_device_mem_t"]));
        Assert.That(Offset<BmDeviceMem>("DeviceAddress"), Is.EqualTo(v["bm_mem_desc.u.device.device_addr"]));
        Assert.That(Offset<BmDeviceMem>("Reserved"), Is.EqualTo(v["bm_mem_desc.u.device.reserved"]));
        Assert.That(Offset<BmDeviceMem>("DmaBufFd"), Is.EqualTo(v["bm_mem_desc.u.device.dmabuf_fd"]));
        Assert.That(Offset<BmDeviceMem>("Flags"), Is.EqualTo(v["bm_mem_desc.flags"]));
        Assert.That(Offset<BmDeviceMem>("Size"), Is.EqualTo(v["bm_mem_desc.size"]));
    }

    [Test]
    public void ShapeAndTensorMatchTheRuntimesStructs()
    {
        Dictionary<string, long> v = Vendor();
        Assert.That(Marshal.SizeOf<BmShape>(), Is.EqualTo(v["sizeof bm_shape_t"]));
        Assert.That(Marshal.SizeOf<BmTensor>(), Is.EqualTo(v["sizeof bm_tensor_t"]));
        Assert.That(
            new[] { Offset<BmTensor>("DType"), Offset<BmTensor>("Shape"), Offset<BmTensor>("DeviceMem"), Offset<BmTensor>("StMode") },
            Is.EqualTo(new[] { v["bm_tensor_t.dtype"], v["bm_tensor_t.shape"], v["bm_tensor_t.device_mem"], v["bm_tensor_t.st_mode"] }));
    }

    [Test]
    public void NetInfoOffsetsAreTheVendorsAndTheStageLayoutIsTheExtendedOne()
    {
        Dictionary<string, long> v = Vendor();
        (int Managed, string Field)[] fields =
        [
            (NetInfoOffsets.Name, "name"), (NetInfoOffsets.IsDynamic, "is_dynamic"), (NetInfoOffsets.InputNum, "input_num"),
            (NetInfoOffsets.InputNames, "input_names"), (NetInfoOffsets.InputDTypes, "input_dtypes"), (NetInfoOffsets.InputScales, "input_scales"),
            (NetInfoOffsets.OutputNum, "output_num"), (NetInfoOffsets.OutputNames, "output_names"), (NetInfoOffsets.OutputDTypes, "output_dtypes"),
            (NetInfoOffsets.OutputScales, "output_scales"), (NetInfoOffsets.StageNum, "stage_num"), (NetInfoOffsets.Stages, "stages"),
            (NetInfoOffsets.MaxInputBytes, "max_input_bytes"), (NetInfoOffsets.MaxOutputBytes, "max_output_bytes"),
            (NetInfoOffsets.InputZeroPoint, "input_zero_point"), (NetInfoOffsets.OutputZeroPoint, "output_zero_point"),
        ];

        Assert.That(fields.Select(f => (f.Field, (long)f.Managed)), Is.EqualTo(fields.Select(f => (f.Field, v["bm_net_info_t." + f.Field]))));
        Assert.That(v["sizeof bm_stage_info_t"], Is.EqualTo(NetInfoOffsets.StageSize), "the headers are libsophon's current (extended) layout");
    }

    [Test]
    public void BmcvImageAndConvertToAttributesMatch()
    {
        Dictionary<string, long> v = Vendor();
        Assert.That(Marshal.SizeOf<BmImage>(), Is.EqualTo(v["sizeof bm_image"]));
        Assert.That(
            new[] { "Width", "Height", "ImageFormat", "DataType", "ImagePrivate" }.Select(Offset<BmImage>),
            Is.EqualTo(new[] { "width", "height", "image_format", "data_type", "image_private" }.Select(f => v["bm_image." + f])));
        Assert.That(Marshal.SizeOf<BmcvConvertToAttr>(), Is.EqualTo(v["sizeof bmcv_convert_to_attr"]));
        Assert.That(
            new[] { "Alpha0", "Beta0", "Alpha1", "Beta1", "Alpha2", "Beta2" }.Select(Offset<BmcvConvertToAttr>),
            Is.EqualTo(new[] { "alpha_0", "beta_0", "alpha_1", "beta_1", "alpha_2", "beta_2" }.Select(f => v["bmcv_convert_to_attr." + f])));
    }

    private static long Offset<T>(string field) => (long)Marshal.OffsetOf<T>(field);

    /// <summary>Compiles and runs a program that prints the vendor headers' sizes and offsets (once per run).</summary>
    private static Dictionary<string, long> Vendor()
    {
        if (s_vendor is not null)
        {
            return s_vendor;
        }

        string include = TestData.RequireShared("vendor", "libsophon", "include");
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 && RuntimeInformation.ProcessArchitecture != Architecture.Arm64)
        {
            Assert.Ignore("The layouts are checked for 64-bit Linux, the platforms libsophon ships for.");
        }

        string? compiler = new[] { "c++", "g++", "clang++" }.Select(Find).FirstOrDefault(p => p is not null);
        if (compiler is null)
        {
            Assert.Ignore("No C++ compiler (c++, g++ or clang++) on PATH: the vendor's bmcv header is C++; install g++ to check the layouts against it.");
        }

        using var dir = new TempDir();
        string source = dir.File("layout.cpp");
        File.WriteAllText(source, Program);
        string exe = dir.File("layout");
        Run(compiler!, ["-I", include, "-o", exe, source]);
        s_vendor = Run(exe, []).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .ToDictionary(p => p[1], p => long.Parse(p[0], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return s_vendor;
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string Run(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(120_000), Is.True, $"{file} did not finish in 2 minutes");
        Assert.That(process.ExitCode, Is.Zero, $"{file} failed: {stderr.Result}");
        return stdout.Result;
    }

    private const string Program = """
        #include <cstdio>
        #include <cstddef>
        #include "bmlib_runtime.h"
        #include "bmruntime_interface.h"
        #include "bmcv_api_ext.h"
        #define SIZE(t) std::printf("%zu sizeof " #t "\n", sizeof(t));
        #define OFF(t, f) std::printf("%zu " #t "." #f "\n", offsetof(t, f));
        int main() {
          SIZE(bm_device_mem_t) SIZE(bm_shape_t) SIZE(bm_tensor_t) SIZE(bm_stage_info_t) SIZE(bm_image) SIZE(bmcv_convert_to_attr)
          OFF(bm_mem_desc, u.device.device_addr) OFF(bm_mem_desc, u.device.reserved) OFF(bm_mem_desc, u.device.dmabuf_fd)
          OFF(bm_mem_desc, flags) OFF(bm_mem_desc, size)
          OFF(bm_tensor_t, dtype) OFF(bm_tensor_t, shape) OFF(bm_tensor_t, device_mem) OFF(bm_tensor_t, st_mode)
          OFF(bm_net_info_t, name) OFF(bm_net_info_t, is_dynamic) OFF(bm_net_info_t, input_num) OFF(bm_net_info_t, input_names)
          OFF(bm_net_info_t, input_dtypes) OFF(bm_net_info_t, input_scales) OFF(bm_net_info_t, output_num) OFF(bm_net_info_t, output_names)
          OFF(bm_net_info_t, output_dtypes) OFF(bm_net_info_t, output_scales) OFF(bm_net_info_t, stage_num) OFF(bm_net_info_t, stages)
          OFF(bm_net_info_t, max_input_bytes) OFF(bm_net_info_t, max_output_bytes) OFF(bm_net_info_t, input_zero_point)
          OFF(bm_net_info_t, output_zero_point)
          OFF(bm_image, width) OFF(bm_image, height) OFF(bm_image, image_format) OFF(bm_image, data_type) OFF(bm_image, image_private)
          OFF(bmcv_convert_to_attr, alpha_0) OFF(bmcv_convert_to_attr, beta_0) OFF(bmcv_convert_to_attr, alpha_1)
          OFF(bmcv_convert_to_attr, beta_1) OFF(bmcv_convert_to_attr, alpha_2) OFF(bmcv_convert_to_attr, beta_2)
          return 0;
        }
        """;
}
