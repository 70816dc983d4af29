using System.Collections;
using System.Management.Automation;
using Netpoll.Load;

namespace Netpoll.PowerShell;

/// <summary>Checks a -Header hashtable at binding: token names, values without CR, LF or NUL, and no Content-Length or Transfer-Encoding (the body sets those).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateHttpHeadersAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object value = arguments is PSObject ps ? ps.BaseObject : arguments;
        if (value is not IDictionary table)
        {
            throw new ValidationMetadataException("Give headers as a hashtable: @{ Authorization = 'Bearer ...'; Accept = 'application/json' }.");
        }

        foreach (DictionaryEntry entry in table)
        {
            try
            {
                LoadHttpRequest.ValidateHeader(entry.Key.ToString() ?? "", ToText(entry.Value));
            }
            catch (ArgumentException ex)
            {
                throw new ValidationMetadataException(ex.Message, ex);
            }
        }
    }

    /// <summary>A header value as sent: text as is, a list joined by ", " (a field with several values).</summary>
    internal static string? ToText(object? value) => (value is PSObject ps ? ps.BaseObject : value) switch
    {
        null => null,
        string text => text,
        IEnumerable list => string.Join(", ", list.Cast<object?>().Select(v => LanguagePrimitives.ConvertTo<string>(v))),
        object other => LanguagePrimitives.ConvertTo<string>(other),
    };
}
