package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/history/postgres"
	"github.com/hostwatch/hostwatch/history/postgres/pgtest"
	"github.com/hostwatch/hostwatch/resolvers/resolverstest"
)

// The deployment examples are tested: the files are parsed, and hostwatch
// runs with exactly the arguments and environment they give (the secret's
// value being the test's PostgreSQL), each shard as a process of its own.
// One thing is added: --resolver, a DNS server on 127.0.0.1 serving the
// demo zone, so that the test stays on this machine.

// k8sManifest is what the test reads of the Kubernetes example.
type k8sManifest struct {
	Kind string `yaml:"kind"`
	Data map[string]string
	Spec struct {
		JobTemplate struct {
			Spec struct {
				CompletionMode string `yaml:"completionMode"`
				Completions    int    `yaml:"completions"`
				Parallelism    int    `yaml:"parallelism"`
				Template       struct {
					Spec struct {
						Containers []struct {
							Args []string `yaml:"args"`
							Env  []struct {
								Name      string `yaml:"name"`
								Value     string `yaml:"value"`
								ValueFrom struct {
									SecretKeyRef *struct{ Name, Key string } `yaml:"secretKeyRef"`
									FieldRef     *struct {
										FieldPath string `yaml:"fieldPath"`
									} `yaml:"fieldRef"`
								} `yaml:"valueFrom"`
							} `yaml:"env"`
							Resources struct {
								Requests map[string]string `yaml:"requests"`
							} `yaml:"resources"`
							VolumeMounts []struct {
								MountPath string `yaml:"mountPath"`
							} `yaml:"volumeMounts"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

func deployEnv(t *testing.T) (pg *pgtest.Server, dns string, hostwatch string) {
	t.Helper()
	pg = pgtest.Start(t)
	zone, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo", "kpu.go.id.zone"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := resolverstest.NewZoneHandler(string(zone))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := resolverstest.Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	// testscript.Main puts the hostwatch command on PATH.
	bin, err := exec.LookPath("hostwatch")
	if err != nil {
		t.Fatal(err)
	}
	return pg, srv.Addr, bin
}

func runDeployed(t *testing.T, bin string, env []string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hostwatch %s (env %q): %v\n%s", strings.Join(args, " "), env, err, out)
	}
}

// checkOnce checks that every (domain, vantage) was observed once, in one
// span, by a run of the group.
func checkOnce(t *testing.T, url string, domains, vantages []string, group string) {
	t.Helper()
	s, err := postgres.OpenReader(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	spans, err := s.Spans(t.Context(), history.Query{AllVantages: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, sp := range spans {
		seen[sp.Domain+" from "+sp.Vantage] += sp.Count
	}
	for _, d := range domains {
		for _, v := range vantages {
			if n := seen[d+" from "+v]; n != 1 {
				t.Errorf("%s from %s observed %d times, want once", d, v, n)
			}
		}
	}
	if len(seen) != len(domains)*len(vantages) {
		t.Errorf("%d timelines, want %d", len(seen), len(domains)*len(vantages))
	}
	runs, err := s.Runs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Group != group {
			t.Errorf("run %d in group %q, want %q", r.ID, r.Group, group)
		}
	}
}

func domainsOf(list string) []string {
	var out []string
	for _, l := range strings.Split(list, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func TestKubernetesExample(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "deploy", "kubernetes", "hostwatch-cronjob.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cron, config *k8sManifest
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	for {
		m := &k8sManifest{}
		if err := dec.Decode(m); err != nil {
			break
		}
		switch m.Kind {
		case "CronJob":
			cron = m
		case "ConfigMap":
			config = m
		}
	}
	if cron == nil || config == nil {
		t.Fatal("the example has no CronJob or no ConfigMap")
	}
	job := cron.Spec.JobTemplate.Spec
	if job.CompletionMode != "Indexed" || job.Completions < 2 || job.Parallelism != job.Completions {
		t.Fatalf("the Job is not an Indexed Job of parallel shards: %+v", job)
	}
	if len(job.Template.Spec.Containers) != 1 {
		t.Fatal("want one container")
	}
	c := job.Template.Spec.Containers[0]
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" {
		t.Error("the container requests no resources")
	}
	if i := slices.Index(c.Args, "--shards"); i < 0 || c.Args[i+1] != strconv.Itoa(job.Completions) {
		t.Errorf("args %q: --shards is not the number of completions, %d", c.Args, job.Completions)
	}
	pg, dns, bin := deployEnv(t)
	dbURL := pg.NewDatabase(t)
	// The ConfigMap's files, where the container mounts them.
	dir := t.TempDir()
	for name, data := range config.Data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := slices.Clone(c.Args)
	for i, a := range args {
		for _, m := range c.VolumeMounts {
			if rest, ok := strings.CutPrefix(a, m.MountPath+"/"); ok {
				args[i] = filepath.Join(dir, rest)
			}
		}
	}
	const jobName = "hostwatch-29000000"
	var env []string
	for _, e := range c.Env {
		switch {
		case e.ValueFrom.SecretKeyRef != nil:
			env = append(env, e.Name+"="+dbURL)
		case e.ValueFrom.FieldRef != nil:
			if !strings.Contains(e.ValueFrom.FieldRef.FieldPath, "job-name") {
				t.Fatalf("unknown fieldRef %q", e.ValueFrom.FieldRef.FieldPath)
			}
			env = append(env, e.Name+"="+jobName)
		default:
			env = append(env, e.Name+"="+e.Value)
		}
	}
	vantage := args[slices.Index(args, "--vantage")+1]
	run := func() {
		for i := range job.Completions {
			// Kubernetes sets JOB_COMPLETION_INDEX in each pod of an Indexed Job.
			runDeployed(t, bin, append(slices.Clone(env), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i)), append(args, "--resolver", dns)...)
		}
	}
	run()
	// A retried Job records nothing twice: the run group is the Job's name.
	run()
	checkOnce(t, dbURL, domainsOf(config.Data["domains.txt"]), []string{vantage}, jobName)
}

func TestGitHubActionsMatrixExample(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci", "github-actions-matrix.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs struct {
			Check struct {
				Strategy struct {
					Matrix struct {
						Vantage []string `yaml:"vantage"`
						Shard   []int    `yaml:"shard"`
					} `yaml:"matrix"`
				} `yaml:"strategy"`
				Env   map[string]string `yaml:"env"`
				Steps []struct {
					Name string `yaml:"name"`
					Run  string `yaml:"run"`
				} `yaml:"steps"`
			} `yaml:"check"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	job := wf.Jobs.Check
	m := job.Strategy.Matrix
	if len(m.Vantage) < 2 || len(m.Shard) < 2 {
		t.Fatalf("matrix %+v: want vantages × shards", m)
	}
	var line string
	for _, st := range job.Steps {
		if st.Name == "Check" {
			line = st.Run
		}
	}
	if line == "" {
		t.Fatal("no Check step")
	}
	pg, dns, bin := deployEnv(t)
	dbURL := pg.NewDatabase(t)
	dir := t.TempDir()
	watch := "kpu.go.id\npemilu2024.kpu.go.id\nsirekap-web.kpu.go.id\nsirekap-api.kpu.go.id\nmail.kpu.go.id\n"
	if err := os.WriteFile(filepath.Join(dir, "watch.txt"), []byte(watch), 0o644); err != nil {
		t.Fatal(err)
	}
	expr := regexp.MustCompile(`\$\{\{\s*([a-z.]+)\s*\}\}`)
	// GitHub sets these in every job of a run.
	ghEnv := []string{"GITHUB_RUN_ID=1234567", "GITHUB_RUN_ATTEMPT=1"}
	for _, v := range m.Vantage {
		for _, sh := range m.Shard {
			cmdline := expr.ReplaceAllStringFunc(line, func(s string) string {
				switch expr.FindStringSubmatch(s)[1] {
				case "matrix.vantage":
					return v
				case "matrix.shard":
					return strconv.Itoa(sh)
				}
				t.Fatalf("unknown expression %s", s)
				return ""
			})
			// The command before the redirection of its output.
			cmdline, _, _ = strings.Cut(cmdline, ">>")
			fields := strings.Fields(cmdline)
			if fields[0] != "hostwatch" {
				t.Fatalf("the Check step runs %q", fields[0])
			}
			if i := slices.Index(fields, "--shard"); i < 0 || !strings.HasSuffix(fields[i+1], "/"+strconv.Itoa(len(m.Shard))) {
				t.Fatalf("%q: --shard is not I/%d", cmdline, len(m.Shard))
			}
			var env []string
			for k, val := range job.Env {
				if strings.Contains(val, "secrets.") {
					val = dbURL
				}
				env = append(env, k+"="+val)
			}
			args := fields[1:]
			for i, a := range args {
				if a == "watch.txt" {
					args[i] = filepath.Join(dir, a)
				}
			}
			runDeployed(t, bin, append(env, ghEnv...), append(args, "--resolver", dns)...)
		}
	}
	checkOnce(t, dbURL, domainsOf(watch), m.Vantage, "1234567-1")
}
