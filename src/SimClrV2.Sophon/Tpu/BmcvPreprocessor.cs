using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Diagnostics;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// Preprocessing on the SOPHON device with BMCV, the vendor samples' way: the decoded RGB pixels go
/// to a 64-byte-aligned RGB image on the device; one VPP pass converts it to planar RGB (or BGR) at
/// the network's size (resizing bilinearly only when sizes differ); <c>bmcv_image_convert_to</c> then
/// applies per-channel <c>alpha = scale·input_scale/std</c>, <c>beta = -mean·input_scale/std + zero_point</c>,
/// writing FLOAT32 (or 1N_BYTE_SIGNED for INT8 networks, saturated to [-128, 127]: the same rule as the
/// CPU path, see <see cref="Quantization"/>) into an image whose device memory IS the
/// batch's slot of the network's input tensor: no extra copy, no round trip to the host.
/// The limits are the chip's (<see cref="BmcvLimits"/>, read with <c>bm_get_chipid</c>: on the BM1684X
/// sides 8..8192 and a scale ratio of 128 per pass, passes chained beyond it). Images outside them are
/// preprocessed on the CPU and uploaded into the slot when <c>fallbackToCpu</c> is set (a warning is
/// logged), else they fail.
/// </summary>
internal sealed partial class BmcvPreprocessor : IImagePreprocessor, IEncodedJpegConsumer
{
    private readonly SophonEngine _engine;
    private readonly CpuPreprocessor _cpu;
    private readonly BmcvConvertToAttr _attr;
    private readonly BmImageFormat _planarFormat;
    private readonly BmImageDataType _outputType;
    private readonly int _elementSize;
    private readonly bool _fallbackToCpu;
    private readonly BmcvLimits _limits;
    private readonly ILogger _logger;

    /// <summary>Creates the preprocessor for an engine made with preprocessing on the device (<see cref="SophonClassifierOptions.Preprocess"/> not <see cref="PreprocessBackend.Cpu"/>).</summary>
    /// <param name="options">How pixels become values.</param>
    /// <param name="engine">The SOPHON engine (device-input mode).</param>
    /// <param name="fallbackToCpu">Preprocess images outside BMCV's limits on the CPU (with a warning) instead of failing them.</param>
    /// <param name="loggerFactory">Where warnings go.</param>
    /// <param name="hardwareJpeg">Decode JPEG inputs on the device's JPU (<c>bmcv_image_jpeg_dec</c>): the classifier then hands them over encoded, and the host does no pixel work on them; other inputs take the BMCV path.</param>
    /// <exception cref="SophonModelException">The network's input cannot be written by BMCV (FP16/UINT8 inputs, NHWC layout, sides outside the chip's convert_to limits).</exception>
    /// <exception cref="SophonLibraryNotFoundException">libbmcv is not installed.</exception>
    /// <exception cref="SophonException">The loaded libbmcv is not the BM1684X line (its <c>bm_image_destroy</c> differs).</exception>
    public BmcvPreprocessor(PreprocessingOptions options, SophonEngine engine, bool fallbackToCpu = true, ILoggerFactory? loggerFactory = null, bool hardwareJpeg = false)
    {
        TakesEncodedJpeg = hardwareJpeg;
        ArgumentNullException.ThrowIfNull(engine);
        _cpu = new CpuPreprocessor(options, engine.Input);
        _engine = engine;
        EngineInput input = engine.Input;
        if (input.ElementType is not (TensorElementType.Float32 or TensorElementType.Int8))
        {
            throw new SophonModelException($"BMCV's convert_to writes FLOAT32 or INT8 network inputs; input '{input.Name}' is {input.ElementType}. Use CPU preprocessing for this model.");
        }

        if (input.Layout != TensorLayout.Nchw)
        {
            throw new SophonModelException($"BMCV's convert_to writes planar (NCHW) tensors; input '{input.Name}' is {InputShape.Name(input.Layout)} ({input.Height}x{input.Width}x{input.Channels}). Use CPU preprocessing for this model.");
        }

        if (options.Interpolation == ResizeInterpolation.Bicubic)
        {
            throw new SophonModelException("The BM1684X VPP resizes with nearest or bilinear interpolation only; bicubic resizing runs on the CPU: use CPU preprocessing, or bilinear/nearest interpolation.");
        }

        _limits = BmcvLimits.For(engine.ChipId);
        if (input.Width < _limits.MinConvertSide || input.Width > _limits.MaxConvertSide || input.Height < _limits.MinConvertSide || input.Height > _limits.MaxConvertSide)
        {
            throw new SophonModelException($"BMCV's convert_to on the {_limits.Chip} takes {_limits.MinConvertSide}..{_limits.MaxConvertSide} pixel sides; the network input is {input.Width}x{input.Height}. Use CPU preprocessing for this model.");
        }

        SophonLibrary.EnsureBmcvLoaded();
        var affine = new ChannelAffine(options);
        bool int8 = input.ElementType == TensorElementType.Int8;
        float q = int8 ? input.QuantizationScale : 1f;
        float zp = int8 ? input.QuantizationZeroPoint : 0f;
        _attr = new BmcvConvertToAttr
        {
            Alpha0 = affine.A0 * q, Beta0 = (affine.B0 * q) + zp,
            Alpha1 = affine.A1 * q, Beta1 = (affine.B1 * q) + zp,
            Alpha2 = affine.A2 * q, Beta2 = (affine.B2 * q) + zp,
        };
        _planarFormat = options.ChannelOrder == ChannelOrder.Rgb ? BmImageFormat.RgbPlanar : BmImageFormat.BgrPlanar;
        _outputType = int8 ? BmImageDataType.SignedByte : BmImageDataType.Float32;
        _elementSize = input.ElementType.SizeInBytes();
        _fallbackToCpu = fallbackToCpu;
        _logger = loggerFactory?.CreateLogger<BmcvPreprocessor>() ?? NullLogger<BmcvPreprocessor>.Instance;
    }

    /// <inheritdoc />
    public string Name => TakesEncodedJpeg ? "bmcv-jpeg" : "bmcv";

    /// <summary>Whether JPEG inputs are decoded on the device's JPU.</summary>
    public bool TakesEncodedJpeg { get; }

    /// <inheritdoc />
    public PreprocessingOptions Options => _cpu.Options;

    /// <summary>The chip whose limits apply (e.g. BM1684X).</summary>
    public string Chip => _limits.Chip;

    /// <summary>Whether BMCV handles an image of this size on this chip (else the CPU fallback, or an error); any scale ratio, in several passes beyond one pass's.</summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <returns>True inside the limits.</returns>
    public bool Supports(int width, int height) => _limits.Takes(width) && _limits.Takes(height);

    /// <inheritdoc />
    public unsafe void Process(DecodedImage image, InferenceBatch batch, int slot)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(batch);
        DeviceMemoryHandle memory = _engine.DeviceSlotTarget(batch);
        SophonDeviceHandle device = memory.Device;
        EngineInput input = _cpu.Input;
        long offset = (long)slot * input.BytesPerImage;
        if (!Supports(image.Width, image.Height))
        {
            if (!_fallbackToCpu)
            {
                throw new ArgumentException($"A {image.Width}x{image.Height} image is outside BMCV's limits on the {_limits.Chip} (sides {_limits.MinSide}..{_limits.MaxSide}); enable the CPU fallback or use CPU preprocessing.", nameof(image));
            }

            LogFallback(_logger, image.Width, image.Height);
            Span<byte> hostSlot = batch.ImageSlot(slot);
            using (DecodedImage? host = image.IsEncodedJpeg ? ImageDecoding.Decode(image.EncodedJpeg, "a JPEG", DecodeOptions.Default) : null)
            {
                _cpu.Process(host ?? image, hostSlot);
            }

            memory.CopyFromHost(hostSlot, offset);
            return;
        }

        if (image.IsEncodedJpeg)
        {
            // Decoded on the device (the JPU: the stream's YUV format; libbmcv in software: BGR); the VPP converts that.
            using BmImageHandle yuv = BmImageHandle.DecodeJpeg(device, image.EncodedJpeg.Span);
            ResizeAndConvert(device, yuv, ResizePlan.For(image.Width, image.Height, Options), memory, offset);
            return;
        }

        byte[]? copy = null;
        byte[]? staging = null;
        try
        {
            ReadOnlySpan<byte> pixels = CpuPreprocessor.Pixels(image, ref copy, out PixelLayout layout);
            bool planar = layout == PixelLayout.Planar;
            int rowBytes = planar ? image.Width : image.Width * 3;
            int stride = Bmcv.Align64(rowBytes);
            int rows = planar ? 3 * image.Height : image.Height;
            staging = ArrayPool<byte>.Shared.Rent(stride * rows);
            for (int r = 0; r < rows; r++)
            {
                pixels.Slice(r * rowBytes, rowBytes).CopyTo(staging.AsSpan(r * stride, rowBytes));
            }

            using BmImageHandle source = BmImageHandle.Create(device, image.Width, image.Height, planar ? BmImageFormat.RgbPlanar : BmImageFormat.RgbPacked, BmImageDataType.Byte, stride);
            source.AllocateDeviceMemory();
            source.CopyFromHost(staging.AsSpan(0, stride * rows));
            ResizeAndConvert(device, source, ResizePlan.For(image.Width, image.Height, Options), memory, offset);
        }
        finally
        {
            if (copy is not null)
            {
                ArrayPool<byte>.Shared.Return(copy);
            }

            if (staging is not null)
            {
                ArrayPool<byte>.Shared.Return(staging);
            }
        }
    }

    /// <summary>
    /// VPP passes (<c>bmcv_image_vpp_basic</c>) from a device image (RGB; the JPU's YUV; BGR from
    /// libbmcv's software JPEG decode) to planar RGB/BGR at the network's size, as
    /// <see cref="VppPasses"/> plans them: the first reads the plan's crop rectangle, the last writes
    /// the letterbox's border; then <c>convert_to</c> into the batch slot. YUV input is converted as
    /// full-range BT.601 (<c>CSC_YPbPr2RGB_BT601</c>, JPEG's colour space, what the CPU decoders do):
    /// left to itself the VPP would take limited range (<c>default_csc_type</c> in libbmcv).
    /// </summary>
    private unsafe void ResizeAndConvert(SophonDeviceHandle device, BmImageHandle source, ResizePlan plan, DeviceMemoryHandle memory, long offset)
    {
        EngineInput input = _cpu.Input;
        BmImageHandle current = source;
        int algorithm = Options.Interpolation == ResizeInterpolation.Nearest ? Bmcv.ResizeNearest : Bmcv.ResizeLinear;
        var crop = new BmcvRect { StartX = plan.CropX, StartY = plan.CropY, Width = plan.CropWidth, Height = plan.CropHeight };
        int oneCrop = 1;
        try
        {
            IReadOnlyList<VppPass> passes = VppPasses.Plan(plan, input.Width, input.Height, _limits);
            for (int p = 0; p < passes.Count; p++)
            {
                VppPass pass = passes[p];
                var padding = new BmcvPaddingAttr
                {
                    DstX = (uint)pass.DstX, DstY = (uint)pass.DstY, DstWidth = (uint)pass.DstWidth, DstHeight = (uint)pass.DstHeight,
                    PadR = Options.PadValue[0], PadG = Options.PadValue[1], PadB = Options.PadValue[2], IfMemset = 1,
                };
                BmImageHandle next = BmImageHandle.Create(device, pass.Width, pass.Height, _planarFormat, BmImageDataType.Byte, Bmcv.Align64(pass.Width));
                try
                {
                    next.AllocateDeviceMemory();
                    using HandleLease reading = current.Lease(), writing = next.Lease();
                    BmImage currentImage = current.Image, nextImage = next.Image;
                    int csc = current.IsYuv ? Bmcv.CscYPbPrToRgbBt601 : Bmcv.CscByFormat;
                    Check("bmcv_image_vpp_basic", SophonNative.bmcv_image_vpp_basic(
                        device, 1, &currentImage, &nextImage, p == 0 ? &oneCrop : null, p == 0 ? &crop : null, pass.Pads ? &padding : null, algorithm, csc, null));
                }
                catch
                {
                    next.Dispose();
                    throw;
                }

                if (!ReferenceEquals(current, source))
                {
                    current.Dispose();
                }

                current = next;
            }
        }
        catch
        {
            if (!ReferenceEquals(current, source))
            {
                current.Dispose();
            }

            throw;
        }

        using BmImageHandle resized = current;
        using BmImageHandle tensor = BmImageHandle.Create(device, input.Width, input.Height, _planarFormat, _outputType, input.Width * _elementSize);
        tensor.Attach(memory, offset, (uint)input.BytesPerImage); // holds a reference on the batch's memory until the tensor image is destroyed
        using HandleLease from = resized.Lease(), to = tensor.Lease();
        BmImage resizedImage = resized.Image, tensorImage = tensor.Image;
        Check("bmcv_image_convert_to", SophonNative.bmcv_image_convert_to(device, 1, _attr, &resizedImage, &tensorImage));
    }

    private static void Check(string function, SophonStatus status) =>
        NativeStatus.Check(status, function, "BMCV preprocessing failed; check the image size and format against BMCV's limits.");

    [LoggerMessage(EventId = SimClrV2EventIds.BmcvFallbackToCpu, Level = LogLevel.Warning, Message = "A {Width}x{Height} image is outside BMCV's limits; it was preprocessed on the CPU")]
    private static partial void LogFallback(ILogger logger, int width, int height);
}
