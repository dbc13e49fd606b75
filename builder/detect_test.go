package builder

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeTree writes files (slash-separated names) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDetectStart(t *testing.T) {
	const startPkg = `{"name":"a","scripts":{"start":"node src/main.js","start:prod":"node dist/main.js","build":"tsc"}}`
	sh := func(s string) []string { return []string{"/bin/sh", "-c", s} }
	tests := []struct {
		name       string
		files      map[string]string
		dockerfile string
		want       Plan
		wantErr    string
	}{
		// 1. Dockerfile
		{
			name:  "Dockerfile exec form",
			files: map[string]string{"Dockerfile": "FROM apify/actor-node:20\nCOPY . ./\nCMD [\"node\", \"src/main.js\"]\n", "package.json": startPkg},
			want:  Plan{Runtime: "node", Command: []string{"node", "src/main.js"}, NeedsNpmInstall: true},
		},
		{
			name:  "Dockerfile shell form",
			files: map[string]string{"Dockerfile": "FROM alpine\nCMD ./run.sh --fast > /dev/null\n"},
			want:  Plan{Runtime: "exec", Command: sh("./run.sh --fast > /dev/null")},
		},
		{
			name:  "base image npm start --silent runs the start script",
			files: map[string]string{"Dockerfile": "FROM apify/actor-node:20\nCOPY package*.json ./\nRUN npm --quiet set progress=false \\\n && npm install --omit=dev\nCOPY . ./\nCMD npm start --silent\n", "package.json": startPkg},
			want:  Plan{Runtime: "node", Command: sh("node src/main.js"), NeedsNpmInstall: true},
		},
		{
			name:  "npm start in exec form",
			files: map[string]string{"Dockerfile": "FROM apify/actor-node:20\nCMD [\"npm\", \"start\"]\n", "package.json": startPkg},
			want:  Plan{Runtime: "node", Command: sh("node src/main.js"), NeedsNpmInstall: true},
		},
		{
			name:  "npm run script",
			files: map[string]string{"Dockerfile": "FROM apify/actor-node:20 AS builder\nRUN npm run build\nFROM apify/actor-node:20\nCMD npm run start:prod --silent\n", "package.json": startPkg},
			want:  Plan{Runtime: "node", Command: sh("node dist/main.js"), NeedsNpmInstall: true},
		},
		{
			name:  "browser image xvfb wrapper",
			files: map[string]string{"Dockerfile": "FROM apify/actor-node-playwright-chrome:20\nCMD ./start_xvfb_and_run_cmd.sh && npm start --silent\n", "package.json": startPkg},
			want:  Plan{Runtime: "node", Command: sh("node src/main.js"), NeedsNpmInstall: true},
		},
		{
			name:  "npm start with prestart",
			files: map[string]string{".actor/Dockerfile": "FROM apify/actor-node:20\nCMD npm start\n", "package.json": `{"scripts":{"prestart":"node gen.js","start":"node main.js"}}`},
			want:  Plan{Runtime: "node", Command: sh("(node gen.js) && (node main.js)"), NeedsNpmInstall: true},
		},
		{
			name:  "npm start without a start script falls to main",
			files: map[string]string{"Dockerfile": "FROM apify/actor-node:20\nCMD npm start --silent\n", "package.json": `{"main":"lib/app.js"}`, "lib/app.js": ""},
			want:  Plan{Runtime: "node", Command: []string{"node", "lib/app.js"}, NeedsNpmInstall: true},
		},
		{
			name:  "npm start without a start script runs server.js",
			files: map[string]string{"Dockerfile": "FROM apify/actor-node:20\nCMD npm start\n", "package.json": `{}`, "server.js": "", "index.js": ""},
			want:  Plan{Runtime: "node", Command: []string{"node", "server.js"}, NeedsNpmInstall: true},
		},
		{
			name:  "npm with extra arguments is kept",
			files: map[string]string{"Dockerfile": "FROM apify/actor-node:20\nCMD npm start -- --port 80\n", "package.json": startPkg},
			want:  Plan{Runtime: "node", Command: sh("npm start -- --port 80"), NeedsNpmInstall: true},
		},
		{
			name:  "missing npm script is kept",
			files: map[string]string{"Dockerfile": "FROM apify/actor-node:20\nCMD [\"npm\", \"run\", \"nope\"]\n", "package.json": startPkg},
			want:  Plan{Runtime: "node", Command: []string{"npm", "run", "nope"}, NeedsNpmInstall: true},
		},
		{
			name:  ".actor/Dockerfile before Dockerfile",
			files: map[string]string{".actor/Dockerfile": "FROM x\nCMD [\"python3\", \"-m\", \"src\"]\n", "Dockerfile": "FROM x\nCMD [\"node\", \"a.js\"]\n"},
			want:  Plan{Runtime: "python", Command: []string{"python3", "-m", "src"}},
		},
		{
			name:       "Dockerfile named by actor.json",
			files:      map[string]string{"docker/prod.Dockerfile": "FROM x\nCMD [\"./bin/app\"]\n", "Dockerfile": "FROM x\nCMD [\"node\", \"a.js\"]\n"},
			dockerfile: "docker/prod.Dockerfile",
			want:       Plan{Runtime: "exec", Command: []string{"./bin/app"}},
		},
		{
			name:       "named Dockerfile missing",
			files:      map[string]string{"index.js": ""},
			dockerfile: ".actor/Dockerfile.custom",
			wantErr:    "Dockerfile.custom",
		},
		{
			name:       "named Dockerfile outside",
			files:      map[string]string{"index.js": ""},
			dockerfile: "../Dockerfile",
			wantErr:    "outside",
		},
		{
			name:  "ENTRYPOINT and CMD",
			files: map[string]string{"Dockerfile": "FROM x\nENTRYPOINT [\"node\"]\nCMD [\"main.js\", \"--x\"]\n"},
			want:  Plan{Runtime: "node", Command: []string{"node", "main.js", "--x"}},
		},
		{
			name:  "exec ENTRYPOINT and shell CMD",
			files: map[string]string{"Dockerfile": "FROM x\nENTRYPOINT [\"tini\", \"--\"]\nCMD node main.js\n"},
			want:  Plan{Runtime: "exec", Command: []string{"tini", "--", "/bin/sh", "-c", "node main.js"}},
		},
		{
			name:  "exec ENTRYPOINT and npm start CMD",
			files: map[string]string{"Dockerfile": "FROM x\nENTRYPOINT [\"tini\", \"--\"]\nCMD npm start\n", "package.json": startPkg},
			want:  Plan{Runtime: "exec", Command: []string{"tini", "--", "/bin/sh", "-c", "node src/main.js"}, NeedsNpmInstall: true},
		},
		{
			name:  "shell ENTRYPOINT ignores CMD",
			files: map[string]string{"Dockerfile": "FROM x\nENTRYPOINT python3 app.py\nCMD [\"--ignored\"]\n"},
			want:  Plan{Runtime: "python", Command: sh("python3 app.py")},
		},
		{
			name:  "ENTRYPOINT only",
			files: map[string]string{"Dockerfile": "FROM x\nENTRYPOINT [\"./app\"]\n"},
			want:  Plan{Runtime: "exec", Command: []string{"./app"}},
		},
		{
			name:  "last CMD wins, continuation, comments, lower case",
			files: map[string]string{"Dockerfile": "# syntax=docker/dockerfile:1\nFROM x\nCMD [\"first\"]\n# a comment\ncmd [\"node\", \\\n  # comment inside\n  \"last.js\"]\n"},
			want:  Plan{Runtime: "node", Command: []string{"node", "last.js"}},
		},
		{
			name:  "escape directive",
			files: map[string]string{"Dockerfile": "# escape=`\nFROM x\nCMD node `\n  main.js\n"},
			want:  Plan{Runtime: "node", Command: sh("node   main.js")},
		},
		{
			name:  "SHELL changes the shell form",
			files: map[string]string{"Dockerfile": "FROM x\nSHELL [\"/bin/bash\", \"-lc\"]\nCMD node main.js\n"},
			want:  Plan{Runtime: "exec", Command: []string{"/bin/bash", "-lc", "node main.js"}},
		},
		{
			name:  "invalid JSON is shell form",
			files: map[string]string{"Dockerfile": "FROM x\nCMD ['node', 'a.js']\n"},
			want:  Plan{Runtime: "exec", Command: sh("['node', 'a.js']")},
		},
		{
			name:  "final stage without CMD uses the base image's (package.json rule)",
			files: map[string]string{"Dockerfile": "FROM node AS build\nCMD [\"node\", \"build.js\"]\nFROM apify/actor-node:20\nCOPY --from=build /x /x\n", "package.json": startPkg},
			want:  Plan{Runtime: "node", Command: sh("node src/main.js"), NeedsNpmInstall: true},
		},
		{
			name:  "stage FROM an earlier stage inherits its CMD",
			files: map[string]string{"Dockerfile": "FROM node AS base\nCMD [\"node\", \"base.js\"]\nFROM base\nRUN true\n"},
			want:  Plan{Runtime: "node", Command: []string{"node", "base.js"}},
		},
		{
			name:  "ENTRYPOINT resets an inherited CMD",
			files: map[string]string{"Dockerfile": "FROM node AS Base\nCMD [\"base.js\"]\nFROM base\nENTRYPOINT [\"./app\"]\n"},
			want:  Plan{Runtime: "exec", Command: []string{"./app"}},
		},
		{
			name:  "heredoc body is not an instruction",
			files: map[string]string{"Dockerfile": "FROM x\nRUN <<EOF\nCMD [\"wrong\"]\nEOF\nCMD [\"node\", \"right.js\"]\n"},
			want:  Plan{Runtime: "node", Command: []string{"node", "right.js"}},
		},
		{
			name:  "Dockerfile without CMD",
			files: map[string]string{"Dockerfile": "FROM apify/actor-python:3.12\nCOPY . ./\n", "src/__main__.py": ""},
			want:  Plan{Runtime: "python", Command: []string{"python3", "-m", "src"}},
		},
		{
			name:    "empty CMD",
			files:   map[string]string{"Dockerfile": "FROM x\nCMD []\n", "index.js": ""},
			wantErr: "empty",
		},
		// 2. package.json and Node files
		{
			name:  "start script",
			files: map[string]string{"package.json": `{"main":"other.js","scripts":{"start":"node --max-old-space-size=4096 main.js"}}`, "other.js": ""},
			want:  Plan{Runtime: "node", Command: sh("node --max-old-space-size=4096 main.js"), NeedsNpmInstall: true},
		},
		{
			name:  "start script with poststart",
			files: map[string]string{"package.json": `{"scripts":{"start":"node a.js","poststart":"node b.js"}}`},
			want:  Plan{Runtime: "node", Command: sh("(node a.js) && (node b.js)"), NeedsNpmInstall: true},
		},
		{
			name:  "main",
			files: map[string]string{"package.json": `{"main":"./lib/app.js","scripts":{"test":"x"}}`, "lib/app.js": "", "index.js": ""},
			want:  Plan{Runtime: "node", Command: []string{"node", "./lib/app.js"}, NeedsNpmInstall: true},
		},
		{
			name:  "main without extension",
			files: map[string]string{"package.json": `{"main":"lib/app"}`, "lib/app.js": ""},
			want:  Plan{Runtime: "node", Command: []string{"node", "lib/app"}, NeedsNpmInstall: true},
		},
		{
			name:  "main that does not exist (npm init's default)",
			files: map[string]string{"package.json": `{"main":"index.js"}`, "src/main.js": ""},
			want:  Plan{Runtime: "node", Command: []string{"node", "src/main.js"}, NeedsNpmInstall: true},
		},
		{
			name:  "index.js",
			files: map[string]string{"package.json": `{}`, "index.js": "", "src/index.js": ""},
			want:  Plan{Runtime: "node", Command: []string{"node", "index.js"}, NeedsNpmInstall: true},
		},
		{
			name:  "main.mjs before src/",
			files: map[string]string{"main.mjs": "", "src/index.js": ""},
			want:  Plan{Runtime: "node", Command: []string{"node", "main.mjs"}},
		},
		{
			name:  "src/main.js",
			files: map[string]string{"package.json": `{"name":"x"}`, "src/main.js": "", "dist/index.js": ""},
			want:  Plan{Runtime: "node", Command: []string{"node", "src/main.js"}, NeedsNpmInstall: true},
		},
		{
			name:  "dist/main.cjs",
			files: map[string]string{"package.json": `{"name":"x"}`, "dist/main.cjs": ""},
			want:  Plan{Runtime: "node", Command: []string{"node", "dist/main.cjs"}, NeedsNpmInstall: true},
		},
		{
			name:    "bad package.json",
			files:   map[string]string{"package.json": `{"scripts":`, "index.js": ""},
			wantErr: "package.json",
		},
		// 3. Python
		{
			name:  "src/__main__.py",
			files: map[string]string{"src/__main__.py": "", "main.py": "", "requirements.txt": ""},
			want:  Plan{Runtime: "python", Command: []string{"python3", "-m", "src"}},
		},
		{
			name:  "main.py",
			files: map[string]string{"main.py": ""},
			want:  Plan{Runtime: "python", Command: []string{"python3", "main.py"}},
		},
		// 4. nothing
		{
			name:    "nothing to start",
			files:   map[string]string{"README.md": "", "package.json": `{"name":"x"}`},
			wantErr: "no start command found: looked for a Dockerfile CMD (.actor/Dockerfile, Dockerfile), package.json scripts.start or main, index.js",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			plan, err := DetectStart(dir, tt.dockerfile)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*plan, tt.want) {
				t.Fatalf("plan %#v, want %#v", *plan, tt.want)
			}
		})
	}
}
