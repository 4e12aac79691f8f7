using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SimClrV2.Sophon.DependencyInjection;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Tpu;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers classifiers in an <see cref="IServiceCollection"/>: options bound from configuration
/// (by the configuration binder's generated code; every unknown key and unparsable value named at once, with the known keys) and validated when the host starts (<c>ValidateOnStart</c>, each message naming the option), the
/// container's <see cref="ILoggerFactory"/>, one <see cref="IImageClassifier"/> singleton created on
/// first use and disposed by the container.
/// </summary>
public static class ImageClassifierServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SOPHON classifier (<see cref="SophonImageClassifier"/>) configured from a
    /// configuration section (e.g. <c>builder.Configuration.GetSection("Classifier")</c>: <c>ModelPath</c>,
    /// <c>DeviceIds:0</c>, <c>Preprocess</c>, <c>Preprocessing:Width</c>, ...), then by <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section holding <see cref="SophonClassifierOptions"/>.</param>
    /// <param name="configure">Further configuration in code (after the section), or null.</param>
    /// <returns>The options builder, for more validation or configuration.</returns>
    public static OptionsBuilder<SophonClassifierOptions> AddSophonImageClassifier(this IServiceCollection services, IConfiguration configuration, Action<SophonClassifierOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<SophonClassifierOptions> builder = services.AddImageClassifier<SophonClassifierOptions>(
            SophonImageClassifier.Create, configuration, static (section, options) => section.Bind(options, static b => b.ErrorOnUnknownConfiguration = true));
        return configure is null ? builder : builder.Configure(configure);
    }

    /// <summary>Registers the SOPHON classifier (<see cref="SophonImageClassifier"/>) configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The options builder.</returns>
    public static OptionsBuilder<SophonClassifierOptions> AddSophonImageClassifier(this IServiceCollection services, Action<SophonClassifierOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddImageClassifier<SophonClassifierOptions>(SophonImageClassifier.Create, nameof(SophonClassifierOptions)).Configure(configure);
    }

    /// <summary>
    /// Registers an <see cref="IImageClassifier"/> made by <paramref name="create"/> from
    /// <typeparamref name="TOptions"/> (for engine packages): validation of the options at start
    /// (<see cref="ClassifierOptions.GetValidationErrors"/>), the container's logger factory
    /// when the options have none, a singleton disposed by the container.
    /// </summary>
    /// <typeparam name="TOptions">The classifier's options.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="create">Creates the classifier from the options.</param>
    /// <param name="optionName">How validation messages name the options (a configuration section path).</param>
    /// <returns>The options builder, to bind or configure.</returns>
    public static OptionsBuilder<TOptions> AddImageClassifier<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(this IServiceCollection services, Func<TOptions, IImageClassifier> create, string? optionName = null)
        where TOptions : ClassifierOptions
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(create);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>>(new ClassifierOptionsValidator<TOptions>(optionName ?? typeof(TOptions).Name)));
        services.AddSingleton(sp => create(sp.GetRequiredService<IOptions<TOptions>>().Value));
        return services.AddOptions<TOptions>()
            .PostConfigure<IServiceProvider>((options, provider) => options.LoggerFactory ??= provider.GetService<ILoggerFactory>())
            .ValidateOnStart();
    }

    /// <summary>Fails validation with every <see cref="ClassifierOptions.GetValidationErrors"/> message, each prefixed with the options' name.</summary>
    /// <summary>
    /// Registers a classifier whose options are bound from a configuration section (engine packages
    /// call it with their options type): the section is checked first, and every key the options do
    /// not have and every value that does not parse is named in one exception, with the known keys;
    /// then <paramref name="bind"/> (the configuration binder's generated <c>Bind</c> for
    /// <typeparamref name="TOptions"/>) sets the options; validation runs at start as with
    /// <see cref="AddImageClassifier{TOptions}(IServiceCollection, Func{TOptions, IImageClassifier}, string?)"/>.
    /// </summary>
    /// <typeparam name="TOptions">The engine's options.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="create">Makes the classifier from the bound, validated options.</param>
    /// <param name="configuration">The section (e.g. <c>builder.Configuration.GetSection("Classifier")</c>).</param>
    /// <param name="bind">Binds the section to the options: <c>(section, options) =&gt; section.Bind(options)</c>.</param>
    /// <returns>The options builder.</returns>
    public static OptionsBuilder<TOptions> AddImageClassifier<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor | DynamicallyAccessedMemberTypes.PublicProperties)] TOptions>(
        this IServiceCollection services, Func<TOptions, IImageClassifier> create, IConfiguration configuration, Action<IConfiguration, TOptions> bind)
        where TOptions : ClassifierOptions
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(bind);
        return services.AddImageClassifier(create, ConfigurationCheck.NameOf(configuration)).Configure(options =>
        {
            ConfigurationCheck.ThrowIfInvalid(configuration, typeof(TOptions));
            bind(configuration, options);
        });
    }

    private sealed class ClassifierOptionsValidator<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(string optionName) : IValidateOptions<TOptions>
        where TOptions : ClassifierOptions
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            List<string> errors = [.. options.GetValidationErrors().Select(e => $"{optionName}:{e}")];
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
