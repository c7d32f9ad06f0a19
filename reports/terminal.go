package reports

import (
	"fmt"
	"io"

	"github.com/hostwatch/hostwatch/internal/termtext"
)

// textLine writes one line of text output, its outside parts made safe
// for a terminal, and the newline that ends it.
func textLine(b textWriter, format string, args ...any) {
	b.WriteString(termtext.Safe(fmt.Sprintf(format, args...)))
	b.WriteByte('\n')
}

// textWriter is what the text renderers write to: a strings.Builder, or a
// bufio.Writer when the output streams.
type textWriter interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}
