using System.Text.Json;
using System.Text.Json.Serialization;

namespace Netpoll.Load.Contracts;

/// <summary>Reads and writes a <see cref="LoadTimeline"/> as a JSON array of its samples.</summary>
internal sealed class LoadTimelineJsonConverter : JsonConverter<LoadTimeline>
{
    public override LoadTimeline Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(JsonSerializer.Deserialize<LoadProgress[]>(ref reader, options) ?? []);

    public override void Write(Utf8JsonWriter writer, LoadTimeline value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.ToArray(), options);
}
