using System.Management.Automation.Runspaces;

namespace Netpoll.Host.Tests.Units;

public class ScriptArgumentsTests
{
    [Fact]
    public void Dashed_words_become_parameter_names_and_other_words_positional_values()
    {
        IReadOnlyList<CommandParameter> parameters = ScriptArguments.ToParameters(["-Name", "bob", "plain", "-Switch"]);

        Assert.Equal([("-Name", null), (null, "bob"), (null, "plain"), ("-Switch", null)], Shapes(parameters));
    }

    [Fact]
    public void Colon_forms_carry_their_value_and_boolean_text_becomes_a_boolean()
    {
        IReadOnlyList<CommandParameter> parameters = ScriptArguments.ToParameters(["-Name:a:b", "-On:true", "-Off:$False", "-Text:$x"]);

        Assert.Equal([("-Name", "a:b"), ("-On", true), ("-Off", false), ("-Text", "$x")], Shapes(parameters));
    }

    [Fact]
    public void A_trailing_colon_pairs_the_name_with_the_next_argument_verbatim()
    {
        IReadOnlyList<CommandParameter> parameters = ScriptArguments.ToParameters(["-Path:", "-looks-like-a-name", "-Last:"]);

        Assert.Equal([("-Path", "-looks-like-a-name"), ("-Last", null)], Shapes(parameters));
    }

    [Fact]
    public void A_lone_dash_and_empty_strings_are_positional_values()
    {
        IReadOnlyList<CommandParameter> parameters = ScriptArguments.ToParameters(["-", string.Empty]);

        Assert.Equal([(null, "-"), (null, string.Empty)], Shapes(parameters));
    }

    private static (string?, object?)[] Shapes(IReadOnlyList<CommandParameter> parameters) =>
        parameters.Select(p => ((string?)p.Name, (object?)p.Value)).ToArray();
}
