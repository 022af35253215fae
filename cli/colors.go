package cli

import "github.com/fatih/color"

// paint colours s when colour is on.
func (m *Meta) paint(attrs []color.Attribute, s string) string {
	if !m.Color {
		return s
	}
	c := color.New(attrs...)
	c.EnableColor()
	return c.Sprint(s)
}

func (m *Meta) green(s string) string {
	return m.paint([]color.Attribute{color.FgGreen, color.Bold}, s)
}
func (m *Meta) yellow(s string) string { return m.paint([]color.Attribute{color.FgYellow}, s) }
func (m *Meta) red(s string) string    { return m.paint([]color.Attribute{color.FgRed, color.Bold}, s) }
func (m *Meta) cyan(s string) string   { return m.paint([]color.Attribute{color.FgCyan}, s) }
func (m *Meta) bold(s string) string   { return m.paint([]color.Attribute{color.Bold}, s) }
func (m *Meta) faint(s string) string  { return m.paint([]color.Attribute{color.Faint}, s) }
