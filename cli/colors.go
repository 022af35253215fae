package cli

import "github.com/fatih/color"

// painter colours text for a human view when its colour setting is on. A
// view holds its own painter: colour is a setting of the view, not of the
// process, so two runs in one process may differ.
type painter struct{ color bool }

// paint colours s when colour is on.
func (p painter) paint(attrs []color.Attribute, s string) string {
	if !p.color {
		return s
	}
	c := color.New(attrs...)
	c.EnableColor()
	return c.Sprint(s)
}

func (p painter) green(s string) string {
	return p.paint([]color.Attribute{color.FgGreen, color.Bold}, s)
}
func (p painter) yellow(s string) string { return p.paint([]color.Attribute{color.FgYellow}, s) }
func (p painter) red(s string) string    { return p.paint([]color.Attribute{color.FgRed, color.Bold}, s) }
func (p painter) cyan(s string) string   { return p.paint([]color.Attribute{color.FgCyan}, s) }
func (p painter) bold(s string) string   { return p.paint([]color.Attribute{color.Bold}, s) }
func (p painter) faint(s string) string  { return p.paint([]color.Attribute{color.Faint}, s) }
