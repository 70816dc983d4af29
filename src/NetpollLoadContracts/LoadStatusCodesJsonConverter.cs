using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Netpoll.Load.Contracts;

/// <summary>Reads and writes <see cref="LoadStatusCodes"/> as a JSON object of code to count: {"200": 950, "503": 50}.</summary>
internal sealed class LoadStatusCodesJsonConverter : JsonConverter<LoadStatusCodes>
{
    public override LoadStatusCodes Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        Dictionary<string, long> counts = JsonSerializer.Deserialize<Dictionary<string, long>>(ref reader, options) ?? [];
        return new LoadStatusCodes(counts.Select(c => new KeyValuePair<int, long>(int.Parse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture), c.Value)));
    }

    public override void Write(Utf8JsonWriter writer, LoadStatusCodes value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach ((int code, long count) in value)
        {
            writer.WriteNumber(code.ToString(CultureInfo.InvariantCulture), count);
        }

        writer.WriteEndObject();
    }
}
