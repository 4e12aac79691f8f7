using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ONNX Runtime classifier in an <see cref="IServiceCollection"/> (see <see cref="ImageClassifierServiceCollectionExtensions"/>).</summary>
public static class OnnxServiceCollectionExtensions
{
    /// <summary>
    /// Registers the ONNX Runtime classifier (<see cref="OnnxImageClassifier"/>) configured from a
    /// configuration section (<c>ModelPath</c>, <c>BatchSize</c>, <c>TopK</c>, <c>Preprocessing:Width</c>, ...;
    /// with no <c>ModelPath</c>, the default model package's model), then by <paramref name="configure"/>
    /// (for what configuration cannot say: <see cref="ModelFileClassifierOptions.Model"/>,
    /// <see cref="OnnxClassifierOptions.ConfigureSession"/>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section holding <see cref="OnnxClassifierOptions"/>.</param>
    /// <param name="configure">Further configuration in code (after the section), or null.</param>
    /// <returns>The options builder, for more validation or configuration.</returns>
    public static OptionsBuilder<OnnxClassifierOptions> AddOnnxImageClassifier(this IServiceCollection services, IConfiguration configuration, Action<OnnxClassifierOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<OnnxClassifierOptions> builder = services.AddImageClassifier<OnnxClassifierOptions>(
            OnnxImageClassifier.Create, configuration, static (section, options) => section.Bind(options, static b => b.ErrorOnUnknownConfiguration = true));
        return configure is null ? builder : builder.Configure(configure);
    }

    /// <summary>Registers the ONNX Runtime classifier (<see cref="OnnxImageClassifier"/>) configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options (none set: the default model).</param>
    /// <returns>The options builder.</returns>
    public static OptionsBuilder<OnnxClassifierOptions> AddOnnxImageClassifier(this IServiceCollection services, Action<OnnxClassifierOptions>? configure = null)
    {
        OptionsBuilder<OnnxClassifierOptions> builder = services.AddImageClassifier<OnnxClassifierOptions>(OnnxImageClassifier.Create, nameof(OnnxClassifierOptions));
        return configure is null ? builder : builder.Configure(configure);
    }
}
