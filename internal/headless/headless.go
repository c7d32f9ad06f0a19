// Package headless opens a page in headless Chromium over the DevTools
// protocol and reports what it did (console messages, errors, every request,
// a screenshot), so tests can prove an HTML report renders offline.
package headless

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// ErrNoChromium says no Chromium binary was found.
var ErrNoChromium = errors.New("chromium not found")

// Find returns the path of Debian's chromium (or another name for it).
func Find() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Viewport is the size of the window a page is laid out in.
type Viewport struct {
	Width, Height int
	Mobile        bool
}

// Result is what a page did while it loaded.
type Result struct {
	// Requests are the URLs of every request the page made, the page's own included.
	Requests []string
	// Errors are console messages of level error, uncaught exceptions and
	// browser log entries of level error (such as a blocked resource or bad
	// SVG data); Console holds every console and log message.
	Errors  []string
	Console []string
	// Values are the results of the expressions asked for, in order, as JSON.
	Values []json.RawMessage
	// Screenshot is a PNG of the whole page; PDF the page printed, when asked.
	Screenshot []byte
	PDF        []byte
}

// Options say what to do once the page has loaded.
type Options struct {
	Viewport Viewport
	// Eval are JavaScript expressions evaluated by the inspector (not by the
	// page, which may forbid scripts) once the page has loaded.
	Eval []string
	// Screenshot and PDF ask for a picture of the page and a print of it.
	Screenshot, PDF bool
}

// Browser is one headless Chromium, with its own profile in a temporary
// directory; each Open loads a page in a new tab of it.
type Browser struct {
	cmd     *exec.Cmd
	profile string
	conn    *conn
}

// Launch starts a headless Chromium that listens for DevTools on 127.0.0.1.
func Launch(ctx context.Context, chromium string) (*Browser, error) {
	profile, err := os.MkdirTemp("", "hostwatch-chromium-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
		"--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-sync",
		"--disable-component-update", "--disable-default-apps", "--hide-scrollbars", "--mute-audio",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins="+origin,
		"--user-data-dir="+profile, "about:blank")
	// Its own process group, so that Close ends the renderers too.
	ownGroup(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, fmt.Errorf("start %s: %w", chromium, err)
	}
	b := &Browser{cmd: cmd, profile: profile}
	found := make(chan string, 1)
	go func() { found <- devToolsURL(stderr) }()
	var endpoint string
	select {
	case endpoint = <-found:
	case <-ctx.Done():
		b.Close()
		return nil, fmt.Errorf("waiting for chromium: %w", ctx.Err())
	case <-time.After(30 * time.Second):
		b.Close()
		return nil, errors.New("chromium did not listen for DevTools within 30s")
	}
	if endpoint == "" {
		b.Close()
		return nil, errors.New("chromium exited before it listened for DevTools")
	}
	if b.conn, err = dial(endpoint); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Close asks the browser to quit, ends its process group, and removes its profile.
func (b *Browser) Close() {
	if b.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = b.conn.call(ctx, "", "Browser.close", nil, nil)
		cancel()
		b.conn.close()
	}
	done := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	killGroup(b.cmd)
	<-done
	os.RemoveAll(b.profile)
}

// Open loads url in a new tab and reports what the page did, then closes the tab.
func (b *Browser) Open(ctx context.Context, url string, opts Options) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return b.conn.run(ctx, url, opts)
}

// Open loads url in a headless Chromium of its own and reports what the page did.
func Open(ctx context.Context, chromium, url string, opts Options) (*Result, error) {
	b, err := Launch(ctx, chromium)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return b.Open(ctx, url, opts)
}

// devToolsURL reads the browser's WebSocket address from its stderr ("" when
// the browser exits first), then keeps draining stderr so the browser never
// blocks on it.
func devToolsURL(r io.Reader) string {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if _, url, ok := strings.Cut(line, "DevTools listening on "); ok {
			go func() { _, _ = io.Copy(io.Discard, br) }()
			return strings.TrimSpace(url)
		}
		if err != nil {
			return ""
		}
	}
}

// origin is the Origin the WebSocket client sends; Chromium accepts only
// the origins --remote-allow-origins names.
const origin = "http://127.0.0.1"

// conn is one DevTools WebSocket connection: commands out, replies and
// events in.
type conn struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	next    int
	waiting map[int]chan message
	events  chan message
	done    chan struct{}
}

type message struct {
	ID        int                       `json:"id,omitempty"`
	Method    string                    `json:"method,omitempty"`
	Params    json.RawMessage           `json:"params,omitempty"`
	Result    json.RawMessage           `json:"result,omitempty"`
	Error     *struct{ Message string } `json:"error,omitempty"`
	SessionID string                    `json:"sessionId,omitempty"`
}

func dial(url string) (*conn, error) {
	cfg, err := websocket.NewConfig(url, origin)
	if err != nil {
		return nil, err
	}
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to DevTools: %w", err)
	}
	ws.MaxPayloadBytes = 256 << 20
	c := &conn{ws: ws, waiting: map[int]chan message{}, events: make(chan message, 4096), done: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *conn) read() {
	defer close(c.done)
	for {
		var m message
		if err := websocket.JSON.Receive(c.ws, &m); err != nil {
			return
		}
		if m.ID != 0 {
			c.mu.Lock()
			ch := c.waiting[m.ID]
			delete(c.waiting, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		select {
		case c.events <- m:
		default: // a flood of events: the test fails on what it kept
		}
	}
}

func (c *conn) close() { c.ws.Close() }

// call sends one command and waits for its reply.
func (c *conn) call(ctx context.Context, session, method string, params any, result any) error {
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan message, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	if params == nil {
		raw = []byte("{}")
	}
	if err := websocket.JSON.Send(c.ws, message{ID: id, Method: method, Params: raw, SessionID: session}); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-c.done:
		return fmt.Errorf("%s: the browser closed the connection", method)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (c *conn) run(ctx context.Context, url string, opts Options) (*Result, error) {
	var target struct{ TargetID string }
	if err := c.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var attached struct{ SessionID string }
	if err := c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	s := attached.SessionID
	defer func() {
		_ = c.call(context.WithoutCancel(ctx), "", "Target.closeTarget", map[string]any{"targetId": target.TargetID}, nil)
	}()
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := c.call(ctx, s, m, nil, nil); err != nil {
			return nil, err
		}
	}
	vp := opts.Viewport
	if vp.Width == 0 {
		vp = Viewport{Width: 1200, Height: 900}
	}
	metrics := map[string]any{"width": vp.Width, "height": vp.Height, "deviceScaleFactor": 1, "mobile": vp.Mobile}
	if err := c.call(ctx, s, "Emulation.setDeviceMetricsOverride", metrics, nil); err != nil {
		return nil, err
	}
	res := &Result{}
	if err := c.call(ctx, s, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		return nil, err
	}
	if err := c.collect(ctx, s, res); err != nil {
		return nil, err
	}
	for _, expr := range opts.Eval {
		var out struct {
			Result struct {
				Value json.RawMessage `json:"value"`
			} `json:"result"`
			ExceptionDetails *struct{ Text string } `json:"exceptionDetails"`
		}
		if err := c.call(ctx, s, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &out); err != nil {
			return nil, err
		}
		if out.ExceptionDetails != nil {
			return nil, fmt.Errorf("evaluate %q: %s", expr, out.ExceptionDetails.Text)
		}
		res.Values = append(res.Values, out.Result.Value)
	}
	if opts.Screenshot {
		var shot struct{ Data string }
		if err := c.call(ctx, s, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot); err != nil {
			return nil, err
		}
		png, err := base64.StdEncoding.DecodeString(shot.Data)
		if err != nil {
			return nil, fmt.Errorf("screenshot: %w", err)
		}
		res.Screenshot = png
	}
	if opts.PDF {
		var pdf struct{ Data string }
		if err := c.call(ctx, s, "Page.printToPDF", map[string]any{"printBackground": true}, &pdf); err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(pdf.Data)
		if err != nil {
			return nil, fmt.Errorf("pdf: %w", err)
		}
		res.PDF = b
	}
	// Anything logged while the page was inspected counts too.
	c.drain(s, res)
	return res, nil
}

// collect gathers events until the page has loaded and a short quiet
// spell has passed (late requests, such as a favicon, come after load).
func (c *conn) collect(ctx context.Context, session string, res *Result) error {
	loaded := false
	quiet := time.NewTimer(time.Hour)
	defer quiet.Stop()
	for {
		select {
		case m := <-c.events:
			if m.SessionID != session {
				continue
			}
			if m.Method == "Page.loadEventFired" {
				loaded = true
				quiet.Reset(300 * time.Millisecond)
			}
			record(m, res)
		case <-quiet.C:
			if loaded {
				return nil
			}
		case <-c.done:
			return errors.New("the browser closed the connection while the page loaded")
		case <-ctx.Done():
			return fmt.Errorf("waiting for the page to load: %w", ctx.Err())
		}
	}
}

func (c *conn) drain(session string, res *Result) {
	for {
		select {
		case m := <-c.events:
			if m.SessionID == session {
				record(m, res)
			}
		default:
			return
		}
	}
}

// record keeps what an event says about the page.
func record(m message, res *Result) {
	switch m.Method {
	case "Network.requestWillBeSent":
		var p struct {
			Request struct{ URL string } `json:"request"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			res.Requests = append(res.Requests, p.Request.URL)
		}
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			var parts []string
			for _, a := range p.Args {
				parts = append(parts, fmt.Sprint(a.Value)+a.Description)
			}
			line := "console." + p.Type + ": " + strings.Join(parts, " ")
			res.Console = append(res.Console, line)
			if p.Type == "error" || p.Type == "assert" {
				res.Errors = append(res.Errors, line)
			}
		}
	case "Runtime.exceptionThrown":
		res.Errors = append(res.Errors, "exception: "+string(m.Params))
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level, Source, Text, URL string
			} `json:"entry"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			line := fmt.Sprintf("log %s (%s): %s %s", p.Entry.Level, p.Entry.Source, p.Entry.Text, p.Entry.URL)
			res.Console = append(res.Console, line)
			if p.Entry.Level == "error" {
				res.Errors = append(res.Errors, line)
			}
		}
	}
}
