using System.Text;

namespace Differentiable.Generator.Emit
{
    /// <summary>Writes C# with four-space indentation and "\n" line ends, whatever the machine.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new StringBuilder();
        private int _depth;

        public void Line(string line = "")
        {
            if (line.Length > 0) _text.Append(' ', _depth * 4).Append(line);
            _text.Append('\n');
        }

        public void Open(string header)
        {
            Line(header);
            Line("{");
            _depth++;
        }

        public void Close(string suffix = "")
        {
            _depth--;
            Line("}" + suffix);
        }

        public override string ToString() => _text.ToString();
    }
}
