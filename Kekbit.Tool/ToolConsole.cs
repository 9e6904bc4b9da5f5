using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Kekbit.Tool;

/// <summary>
/// The streams a command talks to: data on <see cref="Out"/>, diagnostics and progress on <see cref="Error"/>,
/// input from <see cref="In"/>, signals from <see cref="Interruption"/>. Tests pass their own to run the tool in-process.
/// </summary>
internal sealed class ToolConsole
{
    private const int NonTerminalWidth = 1000;

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Tables and markup on <see cref="Out"/> for a terminal (see <see cref="Write"/>).</summary>
    private readonly IAnsiConsole _rich;

    public ToolConsole(TextWriter output, TextWriter error, Stream input, bool isInteractive, Interruption? interruption = null)
    {
        Interruption = interruption ?? Interruption.Manual();
        Out = output;
        Error = error;
        In = input;
        IsInteractive = isInteractive;
        _rich = CreateRich(output, isInteractive);
        // Table cells never wrap (a path broken over lines is hard to copy): a line wider than the terminal
        // wraps as a whole, as ls -l and kubectl lines do.
        _rich.Profile.Width = NonTerminalWidth;
        RichError = CreateRich(error, isInteractive);
    }

    /// <summary>Where data goes (records, tables, JSON). Lines end with <c>\n</c> on every platform.</summary>
    public TextWriter Out { get; }

    /// <summary>Where errors, summaries of side effects and progress go.</summary>
    public TextWriter Error { get; }

    /// <summary>Raw bytes of standard input (records to write are bytes, not text).</summary>
    public Stream In { get; }

    /// <summary>Whether a person watches stderr: progress bars and colours are shown only then.</summary>
    public bool IsInteractive { get; }

    /// <summary>SIGINT and SIGTERM, as a cancellation commands observe at safe points.</summary>
    public Interruption Interruption { get; }

    /// <summary>Tables and live views on <see cref="Out"/> for a terminal; only when <see cref="IsInteractive"/> and <see cref="Out"/> is the process's console.</summary>
    public IAnsiConsole RichOut => _rich;

    /// <summary>Progress bars on <see cref="Error"/>.</summary>
    public IAnsiConsole RichError { get; }

    /// <summary>
    /// Writes a table or grid on <see cref="Out"/>. For a pipe or file, lines lose the padding that aligns
    /// the last column, so scripts that cut or compare lines see no trailing spaces.
    /// </summary>
    public void Write(IRenderable renderable)
    {
        if (IsInteractive && Out == Console.Out)
        {
            _rich.Write(renderable);
            return;
        }

        var text = new StringWriter();
        IAnsiConsole plain = CreateRich(text, interactive: false);
        plain.Write(renderable);
        foreach (string line in text.ToString().Split('\n'))
        {
            if (line.Length > 0)
            {
                Out.Write(line.TrimEnd());
                Out.Write('\n');
            }
        }
    }

    /// <summary>The process's own console. Output is buffered when redirected (a dump of millions of records must not flush per line).</summary>
    public static ToolConsole CreateSystem(Interruption interruption)
    {
        TextWriter output = Console.IsOutputRedirected
            ? new StreamWriter(Console.OpenStandardOutput(), Utf8NoBom, 1 << 16) { NewLine = "\n", AutoFlush = false }
            : Console.Out;
        TextWriter error = Console.Error;
        return new ToolConsole(output, error, Console.OpenStandardInput(), isInteractive: !Console.IsErrorRedirected, interruption);
    }

    private static IAnsiConsole CreateRich(TextWriter writer, bool interactive)
    {
        var output = new AnsiConsoleOutput(writer);
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = output,
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!output.IsTerminal)
        {
            // A pipe or file has no width: never wrap table cells (paths) at the default 80 columns.
            console.Profile.Width = NonTerminalWidth;
        }

        return console;
    }
}
