package web

import (
	"bytes"
	"errors"
	"html/template"
	"io"
	"reflect"
	"strings"
	"sync"
	"text/template/parse"

	"pforte/locale"
)

// A page names its texts as messages, {{t "account.email"}}; one whose
// arguments are constants reads the same on every page of a language, and
// so do the page constants ({{.Chamber}}, {{$.Contact}}). So once, when
// the pages are loaded, foldMessages writes each such value into the
// page's escaped template in place of the action, escaped as html/template
// escapes it there: looking up and escaping some fifty values on every
// request was the better part of rendering a page (html/template calls
// its functions and escapers through reflection). The output is the same
// byte for byte (TestFoldedPagesRenderTheSame, TestAccountPageUnchanged).
//
// Folded are actions whose escapers escapeChains reproduces (page text,
// attribute values, URLs, <title>, the JSON script) and whose value is
// constant: a message with constant arguments, or a field of
// pageConstants where dot or $ is the view for sure. Anything else (a
// value of the page, a message with one) stays an action and is rendered
// per request as before.
func foldMessages(t *template.Template, cat *locale.Catalog, l locale.Lang, c pageConstants) error {
	// html/template escapes a set of templates when one is first run;
	// executing without data escapes them and stops at the first value.
	if err := t.Execute(io.Discard, nil); err != nil {
		var escErr *template.Error
		if errors.As(err, &escErr) {
			return err
		}
	}
	f := folder{cat: cat, lang: l, constants: reflect.ValueOf(c)}
	view := viewTemplates(t)
	for _, tmpl := range t.Templates() {
		if tmpl.Tree != nil {
			dollar := view[tmpl.Name()] && !setsDollar(tmpl.Tree.Root)
			f.list(tmpl.Tree.Root, view[tmpl.Name()], dollar)
		}
	}
	return nil
}

// viewTemplates names the templates of t that surely run with the view as
// dot (and $): t itself, which render runs with the view, and every
// template that is called only with the view, from those.
func viewTemplates(t *template.Template) map[string]bool {
	var calls []templateCall
	view := map[string]bool{}
	for _, tmpl := range t.Templates() {
		if tmpl.Tree != nil {
			from := len(calls)
			calls = appendCalls(calls, tmpl.Name(), tmpl.Tree.Root, true)
			if setsDollar(tmpl.Tree.Root) { // $ may not be the view where it calls
				for i := from; i < len(calls); i++ {
					calls[i].passesView = false
				}
			}
		}
	}
	view[t.Name()] = true
	for _, c := range calls {
		if t.Lookup(c.callee) == nil {
			// A copy html/template made for another context: its calls
			// are not seen here, so only the layout counts for sure.
			return map[string]bool{t.Name(): true}
		}
	}
	for _, c := range calls {
		view[c.callee] = true
	}
	for changed := true; changed; {
		changed = false
		for _, c := range calls {
			if view[c.callee] && c.callee != t.Name() && !(view[c.caller] && c.passesView) {
				view[c.callee], changed = false, true
			}
		}
	}
	return view
}

// setsDollar tells whether a template declares or assigns $ anywhere
// ({{with $ := .Data}}, {{$ = .X}}): from there $ is not the view, so
// such a template folds nothing through $ and passes no view by it.
func setsDollar(n parse.Node) bool {
	pipe := func(p *parse.PipeNode) bool {
		if p == nil {
			return false
		}
		for _, v := range p.Decl {
			if len(v.Ident) > 0 && v.Ident[0] == "$" {
				return true
			}
		}
		return false
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return false
		}
		for _, c := range n.Nodes {
			if setsDollar(c) {
				return true
			}
		}
	case *parse.ActionNode:
		return pipe(n.Pipe)
	case *parse.TemplateNode:
		return pipe(n.Pipe)
	case *parse.IfNode:
		return pipe(n.Pipe) || setsDollar(n.List) || (n.ElseList != nil && setsDollar(n.ElseList))
	case *parse.RangeNode:
		return pipe(n.Pipe) || setsDollar(n.List) || (n.ElseList != nil && setsDollar(n.ElseList))
	case *parse.WithNode:
		return pipe(n.Pipe) || setsDollar(n.List) || (n.ElseList != nil && setsDollar(n.ElseList))
	}
	return false
}

// templateCall is a {{template}} of caller: passesView if its argument
// is the caller's own dot or $ (the view, if the caller runs with it).
type templateCall struct {
	caller, callee string
	passesView     bool
}

// appendCalls adds the calls in list of template caller; atTop tells
// whether dot is still the template's own dot there.
func appendCalls(calls []templateCall, caller string, list *parse.ListNode, atTop bool) []templateCall {
	if list == nil {
		return calls
	}
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.IfNode:
			calls = appendCalls(appendCalls(calls, caller, n.List, atTop), caller, n.ElseList, atTop)
		case *parse.RangeNode: // the body has another dot; the else the same
			calls = appendCalls(appendCalls(calls, caller, n.List, false), caller, n.ElseList, atTop)
		case *parse.WithNode:
			calls = appendCalls(appendCalls(calls, caller, n.List, false), caller, n.ElseList, atTop)
		case *parse.TemplateNode:
			passes := false
			if p := n.Pipe; p != nil && len(p.Decl) == 0 && len(p.Cmds) == 1 && len(p.Cmds[0].Args) == 1 {
				switch arg := p.Cmds[0].Args[0].(type) {
				case *parse.DotNode:
					passes = atTop
				case *parse.VariableNode:
					passes = len(arg.Ident) == 1 && arg.Ident[0] == "$"
				}
			}
			calls = append(calls, templateCall{caller, n.Name, passes})
		}
	}
	return calls
}

// folder folds the actions of one page's templates in one language.
type folder struct {
	cat       *locale.Catalog
	lang      locale.Lang
	constants reflect.Value
}

// list folds the actions of list and of the lists within it, and joins
// the texts that then stand side by side. dotIsView tells whether dot is
// the view here, dollarIsView whether $ is (in a template run with it).
func (f *folder) list(list *parse.ListNode, dotIsView, dollarIsView bool) {
	if list == nil {
		return
	}
	var out []parse.Node
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if text, ok := f.text(n.Pipe, dotIsView, dollarIsView); ok {
				out = appendText(out, n.Pos, text)
				continue
			}
		case *parse.TextNode:
			out = appendText(out, n.Pos, string(n.Text))
			continue
		case *parse.IfNode:
			f.list(n.List, dotIsView, dollarIsView)
			f.list(n.ElseList, dotIsView, dollarIsView)
		case *parse.RangeNode: // the body has another dot; the else the same
			f.list(n.List, false, dollarIsView)
			f.list(n.ElseList, dotIsView, dollarIsView)
		case *parse.WithNode:
			f.list(n.List, false, dollarIsView)
			f.list(n.ElseList, dotIsView, dollarIsView)
		}
		out = append(out, n)
	}
	list.Nodes = out
}

// text is what an escaped pipeline writes if its value is constant and
// its escapers are reproduced by escapeChains.
func (f *folder) text(pipe *parse.PipeNode, dotIsView, dollarIsView bool) (string, bool) {
	if pipe == nil || len(pipe.Decl) > 0 || len(pipe.Cmds) < 2 {
		return "", false
	}
	var chain []string
	for _, cmd := range pipe.Cmds[1:] {
		id, ok := cmd.Args[0].(*parse.IdentifierNode)
		if !ok || len(cmd.Args) != 1 {
			return "", false
		}
		chain = append(chain, id.Ident)
	}
	v, ok := f.value(pipe.Cmds[0].Args, dotIsView, dollarIsView)
	if !ok {
		return "", false
	}
	return escapeIn(strings.Join(chain, " | "), v)
}

// value is the value of a pipeline's first command if it is constant: a
// message with constant arguments (t or th), or a constant (see constant).
func (f *folder) value(args []parse.Node, dotIsView, dollarIsView bool) (any, bool) {
	fn, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		if len(args) != 1 {
			return nil, false
		}
		return f.constant(args[0], dotIsView, dollarIsView)
	}
	if (fn.Ident != "t" && fn.Ident != "th") || len(args) < 2 {
		return nil, false
	}
	var vals []any
	for _, a := range args[1:] {
		v, ok := f.constant(a, dotIsView, dollarIsView)
		if !ok {
			return nil, false
		}
		vals = append(vals, v)
	}
	id, ok := vals[0].(string)
	if !ok {
		return nil, false
	}
	if fn.Ident == "th" {
		s, err := f.cat.T(f.lang, id, escapeArgs(vals[1:])...)
		return template.HTML(s), err == nil // as funcsIn's th
	}
	s, err := f.cat.T(f.lang, id, vals[1:]...)
	return s, err == nil
}

// constant is the value of a string constant, or of a field of
// pageConstants named on the view (.Chamber where dot is the view,
// $.Contact where $ is).
func (f *folder) constant(n parse.Node, dotIsView, dollarIsView bool) (any, bool) {
	var fields []string
	switch n := n.(type) {
	case *parse.StringNode:
		return n.Text, true
	case *parse.FieldNode:
		if !dotIsView {
			return nil, false
		}
		fields = n.Ident
	case *parse.VariableNode:
		if !dollarIsView || len(n.Ident) < 2 || n.Ident[0] != "$" {
			return nil, false
		}
		fields = n.Ident[1:]
	default:
		return nil, false
	}
	v := f.constants
	for _, name := range fields {
		if v.Kind() != reflect.Struct {
			return nil, false
		}
		// Only fields of pageConstants: view's own fields (and methods)
		// are the page's.
		if v = v.FieldByName(name); !v.IsValid() {
			return nil, false
		}
	}
	return v.Interface(), true
}

// appendText adds text to nodes, to the text node at their end if there
// is one (a fresh node: the parsed ones may be shared).
func appendText(nodes []parse.Node, pos parse.Pos, text string) []parse.Node {
	if len(nodes) > 0 {
		if last, ok := nodes[len(nodes)-1].(*parse.TextNode); ok {
			nodes[len(nodes)-1] = &parse.TextNode{NodeType: parse.NodeText, Pos: last.Pos, Text: append(bytes.Clone(last.Text), text...)}
			return nodes
		}
	}
	return append(nodes, &parse.TextNode{NodeType: parse.NodeText, Pos: pos, Text: []byte(text)})
}

// escapeChains reproduce chains of html/template's escapers: each is a
// template with one value where html/template escapes it with the chain,
// and what stands around the value. An escaper's output depends on the
// value alone, so any place where the same chain stands writes the same.
// Only chains that the escaped template names exactly count (a later Go
// that escapes otherwise folds nothing there).
var escapeChains = sync.OnceValue(func() map[string]escapeChain {
	out := map[string]escapeChain{}
	for chain, c := range map[string]escapeChain{
		"_html_template_htmlescaper":   {before: "<p>", after: "</p>"},
		"_html_template_attrescaper":   {before: `<p title="`, after: `"></p>`},
		"_html_template_rcdataescaper": {before: "<title>", after: "</title>"},
		"_html_template_urlfilter | _html_template_urlnormalizer | _html_template_attrescaper": {before: `<a href="`, after: `"></a>`},
		"_html_template_urlnormalizer | _html_template_attrescaper":                            {before: `<a href="mailto:`, after: `"></a>`},
		"_html_template_urlescaper | _html_template_attrescaper":                               {before: `<a href="/?q=`, after: `"></a>`},
		"_html_template_jsvalescaper":                                                          {before: `<script type="application/json">`, after: `</script>`},
	} {
		t, err := template.New("").Parse(c.before + "{{.}}" + c.after)
		if err != nil || t.Execute(io.Discard, "") != nil || !strings.Contains(t.Tree.Root.String(), "{{. | "+chain+"}}") {
			continue
		}
		c.t = t
		out[chain] = c
	}
	return out
})

type escapeChain struct {
	before, after string
	t             *template.Template
}

// escapeIn is v as the escapers of chain write it; false for a chain
// escapeChains does not reproduce.
func escapeIn(chain string, v any) (string, bool) {
	c, ok := escapeChains()[chain]
	if !ok {
		return "", false
	}
	var b strings.Builder
	if err := c.t.Execute(&b, v); err != nil {
		return "", false
	}
	out, ok := strings.CutPrefix(b.String(), c.before)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(out, c.after)
}
