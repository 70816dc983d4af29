using System.Collections;
using System.Management.Automation;

namespace Netpoll.PowerShell;

/// <summary>
/// Lets a byte[] parameter take text with escapes (<c>'PING\r\n'</c>, see <see cref="EscapedText"/>) or bytes
/// (<c>[byte[]](0x2A, 0x31)</c>, or a list of numbers 0–255). With <see cref="Literal"/>, text is taken as is
/// (UTF-8), for bodies such as JSON whose backslashes are their own.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class EscapedBytesArgumentAttribute : ArgumentTransformationAttribute
{
    /// <summary>Text is its UTF-8 bytes, with no escapes.</summary>
    public bool Literal { get; set; }

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject ps ? ps.BaseObject : inputData;
        try
        {
            return value switch
            {
                byte[] bytes => bytes,
                string text when Literal => System.Text.Encoding.UTF8.GetBytes(text),
                string text => EscapedText.ToBytes(text),
                IEnumerable items => [.. items.Cast<object>().Select(ToByte)],
                _ => throw new FormatException($"'{value}' is neither text nor bytes."),
            };
        }
        catch (FormatException ex)
        {
            throw new ArgumentTransformationMetadataException(
                $"{ex.Message} Give text{(Literal ? "" : $" (escapes: {EscapedText.Escapes})")} or bytes ([byte[]] or numbers 0 to 255).", ex);
        }
    }

    private static byte ToByte(object item)
    {
        object value = item is PSObject ps ? ps.BaseObject : item;
        return value is IConvertible convertible && LanguagePrimitives.TryConvertTo(convertible, out int n) && n is >= 0 and <= 255
            ? (byte)n
            : throw new FormatException($"'{value}' is not a byte (0 to 255).");
    }
}
