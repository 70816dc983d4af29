using System.Management.Automation;
using Netpoll.Connections;

namespace Netpoll.PowerShell;

/// <summary>
/// Binds -Handler: a <see cref="ConnectionHandler"/> instance, or a type deriving from it with a public
/// parameterless constructor (for example one compiled with Add-Type), made once for the server.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class HandlerArgumentAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is ConnectionHandler handler)
        {
            return handler;
        }

        if (value is string name && LanguagePrimitives.TryConvertTo(name, out Type? named))
        {
            value = named;
        }

        if (value is not Type type || !typeof(ConnectionHandler).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new ArgumentTransformationMetadataException(
                $"-Handler takes a Netpoll.Connections.ConnectionHandler: an instance, or a non-abstract type deriving from it (e.g. one made with Add-Type); got {value}.");
        }

        if (type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new ArgumentTransformationMetadataException($"-Handler type {type.FullName} has no public parameterless constructor; pass an instance instead.");
        }

        try
        {
            return (ConnectionHandler)Activator.CreateInstance(type)!;
        }
        catch (System.Reflection.TargetInvocationException ex)
        {
            throw new ArgumentTransformationMetadataException($"-Handler type {type.FullName} could not be made: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
    }
}
