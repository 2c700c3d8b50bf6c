package playbooks

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/zdmctl/zdmctl/deploy/modules"
	"github.com/zdmctl/zdmctl/playbooks/expr"
	"github.com/zdmctl/zdmctl/playbooks/tmpl"
	"gopkg.in/yaml.v3"
)

var (
	playKeys = keySet("name", "hosts", "serial", "max_fail_percentage", "any_errors_fatal",
		"vars", "become", "become_user", "tasks", "handlers")
	taskKeys = keySet("name", "when", "register", "notify", "tags", "retries", "delay", "until",
		"become", "become_user", "changed_when", "failed_when", "ignore_errors", "secret", "run_once", "timeout", "loop")
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

type parser struct {
	file  string
	files fs.FS
	dir   string
}

func (p *parser) errf(n *yaml.Node, format string, a ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, a...)}
}

// Parse parses and validates playbook data. file names it in errors;
// files resolves relative copy/template sources (may be nil).
func Parse(file string, data []byte, files fs.FS) (*Playbook, error) {
	return parse(file, data, files, "")
}

func parse(file string, data []byte, files fs.FS, dir string) (*Playbook, error) {
	p := &parser{file: file, files: files, dir: dir}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty playbook"}
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.SequenceNode {
		return nil, p.errf(root, "a playbook is a list of plays")
	}
	pb := &Playbook{Path: file, Description: description(data), files: files, dir: dir}
	for _, pn := range root.Content {
		play, err := p.play(resolve(pn))
		if err != nil {
			return nil, err
		}
		pb.Plays = append(pb.Plays, play)
	}
	if len(pb.Plays) == 0 {
		return nil, &Error{File: file, Msg: "no plays"}
	}
	return pb, nil
}

// description is the leading comment block of the file.
func description(data []byte) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "---" && len(lines) == 0 {
			continue
		}
		if !strings.HasPrefix(l, "#") {
			break
		}
		lines = append(lines, strings.TrimSpace(strings.TrimPrefix(l, "#")))
	}
	return strings.Join(lines, " ")
}

func (p *parser) play(n *yaml.Node) (*Play, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "a play is a map (name, hosts, tasks, ...)")
	}
	play := &Play{Line: n.Line, MaxFailPercentage: -1}
	var tasksNode, handlersNode *yaml.Node
	for _, kv := range pairs(n) {
		k, v := kv.key, kv.val
		if !playKeys[k.Value] {
			return nil, p.errf(k, "unknown play key %q", k.Value)
		}
		var err error
		switch k.Value {
		case "name":
			play.Name, _ = scalarString(v)
		case "hosts":
			var hosts []string
			hosts, err = stringList(v)
			play.Hosts = strings.Join(hosts, ",")
		case "serial":
			play.Serial, err = parseSerial(v)
		case "max_fail_percentage":
			var f float64
			f, err = strconv.ParseFloat(strings.TrimSuffix(v.Value, "%"), 64)
			if err != nil || f < 0 || f > 100 || v.Kind != yaml.ScalarNode {
				err = fmt.Errorf("want a number from 0 to 100")
			}
			play.MaxFailPercentage = f
		case "any_errors_fatal":
			play.AnyErrorsFatal, err = scalarBool(v)
		case "become":
			var b bool
			b, err = scalarBool(v)
			play.Become = &b
		case "become_user":
			play.BecomeUser, _ = scalarString(v)
		case "vars":
			var val any
			val, err = value(v)
			m, ok := val.(map[string]any)
			if err == nil && !ok && val != nil {
				err = fmt.Errorf("want a map")
			}
			if err == nil {
				err = tmpl.CheckValue("vars", m)
			}
			play.Vars = m
		case "tasks":
			tasksNode = v
		case "handlers":
			handlersNode = v
		}
		if err != nil {
			return nil, p.errf(v, "play key %s: %v", k.Value, err)
		}
	}
	if play.Hosts == "" {
		return nil, p.errf(n, "play %q has no hosts", play.Name)
	}
	if play.Name == "" {
		play.Name = play.Hosts
	}
	var err error
	if handlersNode != nil {
		if play.Handlers, err = p.tasks(handlersNode, true); err != nil {
			return nil, err
		}
	}
	if tasksNode == nil {
		return nil, p.errf(n, "play %q has no tasks", play.Name)
	}
	if play.Tasks, err = p.tasks(tasksNode, false); err != nil {
		return nil, err
	}
	handlers := map[string]bool{}
	for _, h := range play.Handlers {
		handlers[h.Name] = true
	}
	for _, t := range play.Tasks {
		for _, name := range t.Notify {
			if !handlers[name] {
				return nil, &Error{File: p.file, Line: t.Line, Msg: fmt.Sprintf("task %q notifies %q, which is not a handler of play %q", t.Name, name, play.Name)}
			}
		}
	}
	return play, nil
}

func parseSerial(n *yaml.Node) ([]SerialStep, error) {
	one := func(n *yaml.Node) (SerialStep, error) {
		n = resolve(n)
		if n.Kind != yaml.ScalarNode {
			return SerialStep{}, fmt.Errorf("want a count or a percentage")
		}
		s := strings.TrimSpace(n.Value)
		pct := strings.HasSuffix(s, "%")
		v, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
		if err != nil || v < 1 || (pct && v > 100) {
			return SerialStep{}, fmt.Errorf("%q: want a count >= 1 or a percentage 1%%..100%%", s)
		}
		return SerialStep{N: v, Percent: pct}, nil
	}
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			return nil, fmt.Errorf("empty serial list")
		}
		var out []SerialStep
		for _, c := range n.Content {
			s, err := one(c)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := one(n)
	if err != nil {
		return nil, err
	}
	return []SerialStep{s}, nil
}

func (p *parser) tasks(n *yaml.Node, handlers bool) ([]*Task, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, "tasks must be a list")
	}
	var out []*Task
	seen := map[string]bool{}
	for _, tn := range n.Content {
		t, err := p.task(resolve(tn))
		if err != nil {
			return nil, err
		}
		if handlers {
			if t.Name == "" {
				return nil, p.errf(tn, "a handler needs a name (tasks notify it by name)")
			}
			if seen[t.Name] {
				return nil, p.errf(tn, "handler %q defined twice", t.Name)
			}
			seen[t.Name] = true
		}
		out = append(out, t)
	}
	return out, nil
}

func (p *parser) expr(n *yaml.Node) (*expr.Expr, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("want an expression")
	}
	if strings.Contains(n.Value, "{{") {
		return nil, fmt.Errorf("%q: write expressions without {{ }}", n.Value)
	}
	return expr.Parse(n.Value)
}

func (p *parser) task(n *yaml.Node) (*Task, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "a task is a map (name, one module, ...)")
	}
	t := &Task{File: p.file, Line: n.Line}
	// Name the task in errors even before its keys are read.
	for _, kv := range pairs(n) {
		if kv.key.Value == "name" {
			t.Name, _ = scalarString(kv.val)
		} else if _, isModule := modules.Lookup(kv.key.Value); isModule && t.Name == "" {
			t.Name = kv.key.Value
		}
	}
	var modKey, modVal *yaml.Node
	for _, kv := range pairs(n) {
		k, v := kv.key, kv.val
		if !taskKeys[k.Value] {
			if _, isModule := modules.Lookup(k.Value); !isModule {
				return nil, p.errf(k, "unknown task key or module %q (modules: %s)", k.Value, strings.Join(modules.Names(), ", "))
			}
			if modKey != nil {
				return nil, p.errf(k, "task has two modules: %s and %s", modKey.Value, k.Value)
			}
			modKey, modVal = k, v
			continue
		}
		var err error
		switch k.Value {
		case "name":
			t.Name, _ = scalarString(v)
		case "when":
			var srcs []string
			if srcs, err = stringList(v); err == nil {
				for _, s := range srcs {
					var e *expr.Expr
					if strings.Contains(s, "{{") {
						err = fmt.Errorf("%q: write expressions without {{ }}", s)
						break
					}
					if e, err = expr.Parse(s); err != nil {
						break
					}
					t.When = append(t.When, e)
				}
			}
		case "register":
			t.Register, _ = scalarString(v)
			if !identRE.MatchString(t.Register) {
				err = fmt.Errorf("%q is not a valid variable name", t.Register)
			}
		case "notify":
			t.Notify, err = stringList(v)
		case "tags":
			t.Tags, err = stringList(v)
		case "retries":
			t.Retries, err = scalarInt(v)
			if err == nil && t.Retries < 0 {
				err = fmt.Errorf("must be >= 0")
			}
		case "delay":
			var d any
			if d, err = value(v); err == nil {
				t.Delay, err = modules.Args{"delay": d}.Duration("delay", 0)
			}
		case "until":
			t.Until, err = p.expr(v)
		case "changed_when":
			t.ChangedWhen, err = p.expr(v)
		case "failed_when":
			t.FailedWhen, err = p.expr(v)
		case "become":
			var b bool
			b, err = scalarBool(v)
			t.Become = &b
		case "become_user":
			t.BecomeUser, _ = scalarString(v)
		case "ignore_errors":
			t.IgnoreErrors, err = scalarBool(v)
		case "secret":
			t.Secret, err = scalarBool(v)
		case "run_once":
			t.RunOnce, err = scalarBool(v)
		case "timeout":
			var d any
			if d, err = value(v); err == nil {
				t.Timeout, err = modules.Args{"timeout": d}.Duration("timeout", 0)
			}
		case "loop":
			if v.Kind == yaml.SequenceNode {
				var items any
				if items, err = value(v); err == nil {
					t.LoopItems = items.([]any)
					err = tmpl.CheckValue("loop", t.LoopItems)
				}
			} else {
				t.LoopExpr, err = p.expr(v)
			}
		}
		if err != nil {
			return nil, p.errf(v, "task %q: %s: %v", t.Name, k.Value, err)
		}
	}
	if modKey == nil {
		return nil, p.errf(n, "task %q has no module (one of: %s)", t.Name, strings.Join(modules.Names(), ", "))
	}
	t.Module = modKey.Value
	if t.Name == "" {
		t.Name = t.Module
	}
	if t.Retries > 0 && t.Until == nil {
		return nil, p.errf(n, "task %q: retries needs until", t.Name)
	}
	if t.Until != nil && t.Retries == 0 {
		t.Retries = 3
	}
	if t.Delay == 0 {
		t.Delay = 5 * time.Second
	}
	m, _ := modules.Lookup(t.Module)
	raw, err := value(modVal)
	if err != nil {
		return nil, p.errf(modVal, "task %q: %v", t.Name, err)
	}
	args, err := m.Spec().Normalize(raw)
	if err != nil {
		return nil, p.errf(modVal, "task %q: %v", t.Name, err)
	}
	if err := m.Spec().Validate(args); err != nil {
		return nil, p.errf(argLine(modVal, err), "task %q: %v", t.Name, err)
	}
	t.Args = args
	if t.Module == "template" {
		if err := p.checkTemplateFile(args); err != nil {
			return nil, p.errf(modVal, "task %q: %v", t.Name, err)
		}
	}
	return t, nil
}

// argLine points at the argument an error names, when it can.
func argLine(modVal *yaml.Node, err error) *yaml.Node {
	if modVal.Kind != yaml.MappingNode {
		return modVal
	}
	for _, kv := range pairs(modVal) {
		if strings.Contains(err.Error(), "argument "+kv.key.Value+" ") || strings.HasSuffix(err.Error(), "argument "+kv.key.Value) ||
			strings.Contains(err.Error(), "argument "+kv.key.Value+":") {
			return kv.key
		}
	}
	return modVal
}

// checkTemplateFile parses the template a task renders, when its path is
// known before run time.
func (p *parser) checkTemplateFile(args modules.Args) error {
	src := args.Str("src")
	if tmpl.HasTemplate(src) {
		return nil
	}
	pb := &Playbook{files: p.files, dir: p.dir}
	text, err := pb.ReadFile(src)
	if err != nil {
		return fmt.Errorf("template src: %w", err)
	}
	if _, err := tmpl.Parse(src, string(text)); err != nil {
		return fmt.Errorf("template %s: %w", src, err)
	}
	return nil
}
