package builder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Runtimes of a Plan.
const (
	RuntimeNode   = "node"
	RuntimePython = "python"
	RuntimeExec   = "exec"
)

// Plan is how to start an actor built from a directory.
type Plan struct {
	// Runtime is RuntimeNode, RuntimePython or RuntimeExec.
	Runtime string
	// Command is the argv, relative to the build directory; an npm script
	// is []string{"/bin/sh", "-c", script}. Like npm, the run's PATH
	// should start with the build's node_modules/.bin.
	Command []string
	// NeedsNpmInstall is set when the directory has a package.json.
	NeedsNpmInstall bool
}

// Where DetectStart looks, in its order.
var (
	defaultDockerfiles = []string{".actor/Dockerfile", "Dockerfile"}
	nodeDirs           = []string{"", "src/", "dist/"}
	nodeFiles          = []string{"index.js", "main.js", "index.mjs", "main.mjs", "index.cjs", "main.cjs"}
)

// xvfbScript is the Apify browser images' wrapper that starts a virtual
// display before the real command (their CMD is
// "./start_xvfb_and_run_cmd.sh && npm start --silent"). It is part of the
// image, not of the source, and headless browsers need no display.
const xvfbScript = "./start_xvfb_and_run_cmd.sh"

// DetectStart finds the start command of the source in dir the way the
// Apify platform and `apify run` do:
//
//  1. a Dockerfile (dockerfile relative to dir when not empty, else
//     .actor/Dockerfile, else Dockerfile): the final stage's CMD (exec form
//     as is, shell form through the stage's SHELL, /bin/sh -c by default),
//     after an exec-form ENTRYPOINT when there is one. A CMD that runs an
//     npm script (the base images' `npm start --silent`, `npm run x`) runs
//     the script itself, so no npm process is needed; without a start
//     script it falls to rule 2. A Dockerfile without CMD or ENTRYPOINT
//     inherits its base image's, which the following rules stand for.
//  2. package.json: scripts.start (with prestart/poststart, as npm runs
//     them) → ["/bin/sh", "-c", script]; else an existing `main` file →
//     ["node", main]; else the first existing index.js, main.js, index.mjs,
//     main.mjs, index.cjs, main.cjs in ./, src/, dist/ → ["node", file].
//  3. src/__main__.py → ["python3", "-m", "src"]; main.py → ["python3",
//     "main.py"].
//
// Otherwise it returns an error listing what it looked for.
func DetectStart(dir, dockerfile string) (*Plan, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("detect start command: %w", err)
	}
	defer root.Close()
	d := &detector{root: root}
	if err := d.readPackageJSON(); err != nil {
		return nil, fmt.Errorf("detect start command: %w", err)
	}
	plan, err := d.detect(dockerfile)
	if err != nil {
		return nil, fmt.Errorf("detect start command: %w", err)
	}
	plan.NeedsNpmInstall = d.hasPkg
	return plan, nil
}

type detector struct {
	root    *os.Root
	hasPkg  bool
	scripts map[string]string
	main    string
}

func (d *detector) readPackageJSON() error {
	data, err := d.root.ReadFile("package.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var pkg struct {
		Scripts map[string]any `json:"scripts"`
		Main    any            `json:"main"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return fmt.Errorf("package.json: %w", err)
	}
	d.hasPkg = true
	d.scripts = map[string]string{}
	for name, v := range pkg.Scripts {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			d.scripts[name] = s
		}
	}
	d.main, _ = pkg.Main.(string)
	return nil
}

func (d *detector) detect(dockerfile string) (*Plan, error) {
	df, name, err := d.readDockerfile(dockerfile)
	if err != nil {
		return nil, err
	}
	if df != nil {
		plan, err := d.fromDockerfile(parseDockerfile(df))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if plan != nil {
			return plan, nil
		}
	}
	if plan := d.node(); plan != nil {
		return plan, nil
	}
	if plan := d.python(); plan != nil {
		return plan, nil
	}
	looked := "a Dockerfile CMD (" + strings.Join(defaultDockerfiles, ", ") + ")"
	if dockerfile != "" {
		looked = "a CMD in " + dockerfile
	}
	var files []string
	for _, dir := range nodeDirs {
		for _, f := range nodeFiles {
			files = append(files, dir+f)
		}
	}
	return nil, fmt.Errorf("no start command found: looked for %s, package.json scripts.start or main, %s, src/__main__.py and main.py",
		looked, strings.Join(files, ", "))
}

// readDockerfile returns the Dockerfile's content, or nil when there is
// none. A Dockerfile named by the caller must exist.
func (d *detector) readDockerfile(name string) ([]byte, string, error) {
	if name != "" {
		rel, err := cleanRel(name)
		if err != nil {
			return nil, "", fmt.Errorf("dockerfile: %w", err)
		}
		data, err := d.root.ReadFile(rel)
		if err != nil {
			return nil, "", fmt.Errorf("dockerfile %s: %w", name, err)
		}
		return data, rel, nil
	}
	for _, rel := range defaultDockerfiles {
		data, err := d.root.ReadFile(rel)
		if err == nil {
			return data, rel, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("%s: %w", rel, err)
		}
	}
	return nil, "", nil
}

// fromDockerfile returns the plan a Dockerfile's start says, or nil when it
// has none of its own.
func (d *detector) fromDockerfile(st dockerStage) (*Plan, error) {
	if st.cmd == nil && st.entrypoint == nil {
		return nil, nil
	}
	shell := st.shell
	if len(shell) == 0 {
		shell = []string{"/bin/sh", "-c"}
	}
	var cmd []string
	if st.cmd != nil {
		if script, ok := npmScriptOf(st.cmd, d.exists(xvfbScript)); ok {
			if plan := d.npmScript(script); plan != nil {
				if st.entrypoint == nil {
					return plan, nil
				}
				cmd = plan.Command
			}
		}
		if cmd == nil {
			cmd = st.cmd.argv(shell)
		}
	}
	var argv []string
	switch {
	case st.entrypoint == nil:
		argv = cmd
	case st.entrypoint.exec:
		argv = slices.Concat(st.entrypoint.words, cmd)
	default:
		// A shell-form ENTRYPOINT ignores CMD.
		argv = st.entrypoint.argv(shell)
	}
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("CMD and ENTRYPOINT are empty")
	}
	return &Plan{Runtime: runtimeOf(argv), Command: argv}, nil
}

// npmScript runs a package.json script the way `npm run` would, or
// returns nil when the script does not exist (`npm start` then falls to
// the package.json rules, as npm would run `node server.js`).
func (d *detector) npmScript(name string) *Plan {
	script, ok := d.scripts[name]
	if !ok {
		if name != "start" {
			return nil
		}
		if d.isFile("server.js") {
			return &Plan{Runtime: RuntimeNode, Command: []string{"node", "server.js"}}
		}
		return d.node()
	}
	pre, hasPre := d.scripts["pre"+name]
	post, hasPost := d.scripts["post"+name]
	if hasPre || hasPost {
		parts := []string{"(" + script + ")"}
		if hasPre {
			parts = slices.Insert(parts, 0, "("+pre+")")
		}
		if hasPost {
			parts = append(parts, "("+post+")")
		}
		script = strings.Join(parts, " && ")
	}
	return &Plan{Runtime: RuntimeNode, Command: []string{"/bin/sh", "-c", script}}
}

// node applies the package.json and Node entry file rules.
func (d *detector) node() *Plan {
	if _, ok := d.scripts["start"]; ok {
		return d.npmScript("start")
	}
	if main := d.nodeMain(); main != "" {
		return &Plan{Runtime: RuntimeNode, Command: []string{"node", main}}
	}
	for _, dir := range nodeDirs {
		for _, f := range nodeFiles {
			if d.isFile(dir + f) {
				return &Plan{Runtime: RuntimeNode, Command: []string{"node", dir + f}}
			}
		}
	}
	return nil
}

// nodeMain returns package.json's main when node can load it (as a file,
// with an added extension, or as a folder with an index file).
func (d *detector) nodeMain() string {
	if d.main == "" {
		return ""
	}
	rel, err := cleanRel(strings.TrimPrefix(d.main, "./"))
	if err != nil || rel == "." {
		return ""
	}
	for _, candidate := range []string{rel, rel + ".js", rel + ".mjs", rel + ".cjs", rel + "/index.js", rel + "/index.mjs", rel + "/index.cjs"} {
		if d.isFile(candidate) {
			return d.main
		}
	}
	return ""
}

func (d *detector) python() *Plan {
	switch {
	case d.isFile("src/__main__.py"):
		return &Plan{Runtime: RuntimePython, Command: []string{"python3", "-m", "src"}}
	case d.isFile("main.py"):
		return &Plan{Runtime: RuntimePython, Command: []string{"python3", "main.py"}}
	}
	return nil
}

func (d *detector) isFile(rel string) bool {
	fi, err := d.root.Stat(rel)
	return err == nil && fi.Mode().IsRegular()
}

func (d *detector) exists(rel string) bool {
	_, err := d.root.Lstat(rel)
	return err == nil
}

// runtimeOf guesses the runtime of a command from the program it runs (the
// first word of a shell command).
func runtimeOf(argv []string) string {
	prog := path.Base(argv[0])
	if (prog == "sh" || prog == "bash" || prog == "dash" || prog == "ash") && len(argv) >= 3 && argv[1] == "-c" {
		if fields := strings.Fields(argv[2]); len(fields) > 0 {
			prog = path.Base(fields[0])
		}
	}
	switch {
	case prog == "node" || prog == "nodejs" || prog == "npm" || prog == "npx" || prog == "tsx" || prog == "ts-node":
		return RuntimeNode
	case prog == "python" || strings.HasPrefix(prog, "python3") || prog == "uv" || prog == "poetry":
		return RuntimePython
	}
	return RuntimeExec
}

// dockerCmd is a CMD or ENTRYPOINT: exec form (a JSON array) or shell
// form (text for the shell).
type dockerCmd struct {
	exec  bool
	words []string // exec form
	text  string   // shell form
}

func (c *dockerCmd) argv(shell []string) []string {
	if c.exec {
		return slices.Clone(c.words)
	}
	return slices.Concat(shell, []string{c.text})
}

func parseDockerCmd(args string) *dockerCmd {
	if strings.HasPrefix(args, "[") {
		var words []string
		if err := json.Unmarshal([]byte(args), &words); err == nil {
			return &dockerCmd{exec: true, words: words}
		}
		// Not valid JSON: Docker runs it as a shell command.
	}
	return &dockerCmd{text: args}
}

// dockerStage is what a build stage says about starting a container.
type dockerStage struct {
	name         string
	shell        []string
	cmd          *dockerCmd
	entrypoint   *dockerCmd
	cmdInherited bool // cmd came from the stage this one is FROM
}

var (
	directiveRe = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$`)
	heredocRe   = regexp.MustCompile(`<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)(["']?)`)
)

// parseDockerfile returns the final stage of a Dockerfile with its CMD,
// ENTRYPOINT and SHELL, following line continuations, comments, the escape
// parser directive, heredocs and stages built FROM earlier stages.
func parseDockerfile(data []byte) dockerStage {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	escape := `\`
	for _, l := range lines {
		m := directiveRe.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			break
		}
		if strings.EqualFold(m[1], "escape") && (m[2] == "`" || m[2] == `\`) {
			escape = m[2]
		}
	}
	stages := map[string]dockerStage{}
	var cur dockerStage
	// apply interprets one instruction; i is the index of its last line.
	// It returns the index of the last line it used (heredoc bodies).
	apply := func(instr string, i int) int {
		keyword, args, _ := strings.Cut(instr, " ")
		if k, a, ok := strings.Cut(instr, "\t"); ok && len(k) < len(keyword) {
			keyword, args = k, a
		}
		args = strings.TrimSpace(args)
		switch strings.ToUpper(keyword) {
		case "FROM":
			if cur.name != "" {
				stages[cur.name] = cur
			}
			cur = fromStage(args, stages)
		case "CMD":
			cur.cmd, cur.cmdInherited = parseDockerCmd(args), false
		case "ENTRYPOINT":
			cur.entrypoint = parseDockerCmd(args)
			if cur.cmdInherited {
				// An ENTRYPOINT resets the CMD of the image below.
				cur.cmd, cur.cmdInherited = nil, false
			}
		case "SHELL":
			var words []string
			if json.Unmarshal([]byte(args), &words) == nil && len(words) > 0 {
				cur.shell = words
			}
		case "RUN", "COPY", "ADD":
			// Skip heredoc bodies, which are not instructions.
			for _, m := range heredocRe.FindAllStringSubmatch(args, -1) {
				for i++; i < len(lines); i++ {
					l := lines[i]
					if m[1] == "-" {
						l = strings.TrimLeft(l, "\t")
					}
					if l == m[3] {
						break
					}
				}
			}
		}
		return i
	}
	var logical strings.Builder
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if trimmed := strings.TrimSpace(line); trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // also inside a continuation, as Docker does
		}
		if t := strings.TrimRight(line, " \t"); strings.HasSuffix(t, escape) {
			logical.WriteString(strings.TrimSuffix(t, escape))
			continue
		}
		logical.WriteString(line)
		i = apply(strings.TrimSpace(logical.String()), i)
		logical.Reset()
	}
	if logical.Len() > 0 { // a continuation at the end of the file
		apply(strings.TrimSpace(logical.String()), len(lines)-1)
	}
	return cur
}

// fromStage starts a stage: "FROM [--platform=…] image [AS name]". A
// stage built FROM an earlier stage inherits its start settings.
func fromStage(args string, stages map[string]dockerStage) dockerStage {
	var words []string
	for _, w := range strings.Fields(args) {
		if !strings.HasPrefix(w, "--") {
			words = append(words, w)
		}
	}
	var st dockerStage
	if len(words) > 0 {
		if prev, ok := stages[strings.ToLower(words[0])]; ok {
			st = prev
			st.cmdInherited = st.cmd != nil
		}
	}
	st.name = ""
	if len(words) >= 3 && strings.EqualFold(words[1], "AS") {
		st.name = strings.ToLower(words[2])
	}
	return st
}

// npmFlags are the npm options a CMD may add to an npm script without
// changing what runs.
var npmFlags = map[string]bool{"--silent": true, "-s": true, "--quiet": true, "-q": true, "--loglevel=silent": true}

// npmScriptOf reports whether a CMD just runs an npm script ("npm start
// --silent", "npm run start:prod") and which. The browser images'
// "./start_xvfb_and_run_cmd.sh && " prefix is dropped unless the source
// has its own such script.
func npmScriptOf(c *dockerCmd, hasXvfb bool) (string, bool) {
	words := c.words
	if !c.exec {
		text := strings.TrimSpace(c.text)
		if rest, ok := strings.CutPrefix(text, xvfbScript); ok && !hasXvfb {
			if rest, ok = strings.CutPrefix(strings.TrimSpace(rest), "&&"); ok {
				text = strings.TrimSpace(rest)
			}
		}
		if strings.ContainsAny(text, "|&;<>()$`\\\"'*?[]#~{}\n") {
			return "", false
		}
		words = strings.Fields(text)
	}
	if len(words) < 2 || path.Base(words[0]) != "npm" {
		return "", false
	}
	var name string
	var rest []string
	switch words[1] {
	case "start":
		name, rest = "start", words[2:]
	case "run", "run-script":
		if len(words) < 3 || strings.HasPrefix(words[2], "-") {
			return "", false
		}
		name, rest = words[2], words[3:]
	default:
		return "", false
	}
	for _, w := range rest {
		if !npmFlags[w] {
			return "", false
		}
	}
	return name, true
}
