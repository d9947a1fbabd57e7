//! The app under test, seen through WebDriver: actions a person takes (click, type), snapshots
//! of what the window shows, waits, and screenshots.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

use crate::desktop::Desktop;
use crate::paths;
use crate::timing::{COMMAND_TIMEOUT, POLL, WAIT};

/// One subscription in the sidebar.
#[derive(Debug, Clone, PartialEq)]
pub struct SubItem {
    /// `data-id`.
    pub id: u64,
    /// `data-name`.
    pub name: String,
    /// `data-state`: the shell's state (`open`, `retrying`, `paused`…).
    pub state: String,
    /// `data-display-state`: what is shown, including `stale`.
    pub display_state: String,
    /// The state line as shown (`sub-state-word`), e.g. `retrying 2 · next in 1 s`.
    pub word: String,
}

/// The detail pane of the selected subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailView {
    /// `data-id`.
    pub id: u64,
    /// `detail-name`.
    pub name: String,
    /// `detail-url`, as shown (method then URL).
    pub url: String,
    /// `detail-state`'s `data-state` (the shown state).
    pub state: String,
    /// `detail-attempt`, e.g. `attempt 2 · next in 1 s`, when shown.
    pub attempt: Option<String>,
    /// `detail-error`, when shown.
    pub error: Option<String>,
    /// `fig-messages`.
    pub messages: String,
    /// `fig-gaps`.
    pub gaps: String,
    /// `fig-reconnects`.
    pub reconnects: String,
}

impl DetailView {
    /// The number in `attempt N…`, if the attempt line shows one.
    pub fn attempt_number(&self) -> Option<u64> {
        let text = self.attempt.as_deref()?;
        let rest = text.strip_prefix("attempt ")?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    }
}

/// One row of the live log as rendered (only the rows in view exist: the list is virtual).
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    /// `data-uid`.
    pub uid: u64,
    /// `data-event`.
    pub event: String,
    /// The id column.
    pub id: String,
    /// `log-data`'s text.
    pub data: String,
}

impl LogRow {
    /// The demo server's event number: `n` in `{"n":…}`.
    pub fn n(&self) -> Option<u64> {
        serde_json::from_str::<Value>(&self.data)
            .ok()?
            .get("n")?
            .as_u64()
    }
}

/// The running app: a WebDriver session on a private [`Desktop`].
pub struct App {
    // Declared first so it is dropped before the desktop it runs on.
    client: Client,
    desktop: Desktop,
    name: String,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App").field("name", &self.name).finish()
    }
}

impl App {
    /// Starts a private desktop and the app on it (a fresh data directory: a first run), and
    /// waits until its window shows the sidebar with live updates.
    pub async fn launch(name: &str) -> App {
        App::launch_on(Desktop::start(name).await, name).await
    }

    /// Starts the app on a desktop the test prepared (subscriptions saved in its data
    /// directory, observers on its bus), and waits for the window as [`App::launch`] does.
    pub async fn launch_on(desktop: Desktop, name: &str) -> App {
        let application = paths::app_binary();
        let caps = json!({
            "tauri:options": { "application": application },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let mut tries = 0;
        let client = loop {
            tries += 1;
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(caps.clone());
            let url = desktop.driver_url();
            let connect = builder.connect(&url);
            // No second try after a timeout: the first app may be up, and the single-instance
            // plugin would hand a second launch over to it.
            let connected = match tokio::time::timeout(COMMAND_TIMEOUT, connect).await {
                Ok(result) => result.map_err(|e| e.to_string()),
                Err(_) => {
                    tries = 3;
                    Err(format!("no answer within {COMMAND_TIMEOUT:?}"))
                }
            };
            match connected {
                Ok(client) => break client,
                Err(e) if tries < 3 => {
                    eprintln!("[{name}] WebDriver session not created ({e}); trying again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => panic!(
                    "cannot open a WebDriver session on {} for {}: {e}\n\
                     --- driver log (with the app's stderr) ---\n{}",
                    desktop.driver_url(),
                    application.display(),
                    desktop.driver_log_tail(40)
                ),
            }
        };
        let app = App {
            client,
            desktop,
            name: name.to_owned(),
        };
        app.wait_for("the window with the sidebar and live updates", async || {
            let v = app
                .js(
                    "const b = document.querySelector('[data-testid=\"bridge-state\"]');
                     return { add: !!document.querySelector('[data-testid=\"btn-add\"]'),
                              bridge: b ? b.textContent.trim() : null,
                              title: document.title };",
                )
                .await;
            if v["add"] == json!(true) && v["bridge"] == json!("live") {
                Ok(())
            } else {
                Err(v.to_string())
            }
        })
        .await;
        app
    }

    /// The app's `STREAMWATCH_DATA_DIR`.
    pub fn data_dir(&self) -> &Path {
        self.desktop.data_dir()
    }

    /// The private desktop the app runs on.
    pub fn desktop(&self) -> &Desktop {
        &self.desktop
    }

    /// The WebDriver session, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Ends the WebDriver session (which closes the app), then stops the desktop.
    pub async fn close(self) {
        let App {
            client, desktop, ..
        } = self;
        // The app may already be gone; the desktop's guard cleans up either way.
        let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
        drop(desktop);
    }

    /// Ends the WebDriver session (which closes the app) and waits until the app's processes
    /// are gone, keeping the desktop (its bus, display, data and observers) for the next
    /// launch: a relaunch, as a person quitting and starting the app again.
    pub async fn quit(self) -> Desktop {
        let App {
            client, desktop, ..
        } = self;
        let _ = tokio::time::timeout(Duration::from_secs(5), client.close()).await;
        let deadline = Instant::now() + WAIT;
        loop {
            let left = crate::processes::app_processes(desktop.data_dir());
            if left.is_empty() {
                return desktop;
            }
            if Instant::now() >= deadline {
                panic!("the app did not exit within {WAIT:?} of the session's end: {left:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    // ---- waiting -------------------------------------------------------------------------

    /// Polls `probe` until it returns `Ok`, for up to [`WAIT`]. `what` says what is expected;
    /// `Err(seen)` describes what was seen instead, for the failure message.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        probe: impl AsyncFnMut() -> Result<T, String>,
    ) -> T {
        self.wait_for_within(what, WAIT, probe).await
    }

    /// [`App::wait_for`] with its own time limit.
    pub async fn wait_for_within<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut probe: impl AsyncFnMut() -> Result<T, String>,
    ) -> T {
        let start = Instant::now();
        loop {
            let seen = match probe().await {
                Ok(v) => return v,
                Err(seen) => seen,
            };
            if start.elapsed() > timeout {
                self.fail(&format!(
                    "expected {what} within {timeout:?}\n  last seen: {seen}"
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Fails the test: a screenshot of the moment and the end of the app's output go with
    /// the message.
    pub async fn fail(&self, message: &str) -> ! {
        let shot = match self.try_screenshot(&format!("FAILED-{}", self.name)).await {
            Ok(path) => path.display().to_string(),
            Err(e) => format!("(none: {e})"),
        };
        panic!(
            "[{}] {message}\n  screenshot: {shot}\n--- driver log (with the app's stderr), last lines ---\n{}",
            self.name,
            self.desktop.driver_log_tail(30)
        );
    }

    /// Awaits one WebDriver command, failing the test if the driver does not answer within
    /// [`COMMAND_TIMEOUT`] (a stuck command would otherwise hang the test for good).
    async fn cmd<T>(&self, what: &str, command: impl Future<Output = T>) -> T {
        match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
            Ok(v) => v,
            Err(_) => panic!(
                "[{}] WebDriver did not answer {what} within {COMMAND_TIMEOUT:?}\n\
                 --- driver log (with the app's stderr), last lines ---\n{}",
                self.name,
                self.desktop.driver_log_tail(30)
            ),
        }
    }

    // ---- looking -------------------------------------------------------------------------

    /// Runs `script` (a function body) in the page and returns its result.
    pub async fn js(&self, script: &str) -> Value {
        match self
            .cmd("a script", self.client.execute(script, Vec::new()))
            .await
        {
            Ok(v) => v,
            Err(e) => panic!(
                "[{}] script failed in the app's window: {e}\n  script: {script}\n--- driver log ---\n{}",
                self.name,
                self.desktop.driver_log_tail(30)
            ),
        }
    }

    /// The subscriptions listed in the sidebar, top to bottom.
    pub async fn sidebar(&self) -> Vec<SubItem> {
        let v = self
            .js(
                "return Array.from(document.querySelectorAll('[data-testid=\"sub-item\"]')).map(e => ({
                   id: Number(e.dataset.id), name: e.dataset.name, state: e.dataset.state,
                   display: e.dataset.displayState,
                   word: (e.querySelector('[data-testid=\"sub-state-word\"]') || {}).textContent || ''
                 }));",
            )
            .await;
        v.as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| SubItem {
                        id: i["id"].as_u64().unwrap_or(0),
                        name: str_of(&i["name"]),
                        state: str_of(&i["state"]),
                        display_state: str_of(&i["display"]),
                        word: str_of(&i["word"]).trim().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The sidebar item named `name`, if listed.
    pub async fn sub_named(&self, name: &str) -> Option<SubItem> {
        self.sidebar().await.into_iter().find(|s| s.name == name)
    }

    /// The detail pane, when a subscription is selected.
    pub async fn detail(&self) -> Option<DetailView> {
        let v = self
            .js(
                "const d = document.querySelector('[data-testid=\"detail\"]');
                 if (!d) return null;
                 const q = (id) => d.querySelector('[data-testid=\"' + id + '\"]');
                 const t = (id) => { const e = q(id); return e ? e.textContent.trim() : null; };
                 const s = q('detail-state');
                 return { id: Number(d.dataset.id), name: t('detail-name'), url: t('detail-url'),
                          state: s ? s.dataset.state : null, attempt: t('detail-attempt'),
                          error: t('detail-error'), messages: t('fig-messages'),
                          gaps: t('fig-gaps'), reconnects: t('fig-reconnects') };",
            )
            .await;
        if v.is_null() {
            return None;
        }
        Some(DetailView {
            id: v["id"].as_u64().unwrap_or(0),
            name: str_of(&v["name"]),
            url: str_of(&v["url"]),
            state: str_of(&v["state"]),
            attempt: v["attempt"].as_str().map(str::to_owned),
            error: v["error"].as_str().map(str::to_owned),
            messages: str_of(&v["messages"]),
            gaps: str_of(&v["gaps"]),
            reconnects: str_of(&v["reconnects"]),
        })
    }

    /// The log rows rendered now, top to bottom.
    pub async fn log_rows(&self) -> Vec<LogRow> {
        let v = self
            .js(
                "const rows = Array.from(document.querySelectorAll('[data-testid=\"log-row\"]'));
                 rows.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
                 return rows.map(r => ({
                   uid: Number(r.dataset.uid), event: r.dataset.event,
                   id: (r.querySelector('.c-id') || {}).textContent || '',
                   data: (r.querySelector('[data-testid=\"log-data\"]') || {}).textContent || ''
                 }));",
            )
            .await;
        v.as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| LogRow {
                        uid: r["uid"].as_u64().unwrap_or(0),
                        event: str_of(&r["event"]),
                        id: str_of(&r["id"]),
                        data: str_of(&r["data"]),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The trimmed `textContent` of the element with `data-testid` `testid`; "" when there is
    /// none.
    pub async fn text_of(&self, testid: &str) -> String {
        let script = format!(
            "const el = document.querySelector({}); return el ? el.textContent.trim() : '';",
            Value::String(format!("[data-testid=\"{testid}\"]"))
        );
        self.js(&script).await.as_str().unwrap_or("").to_owned()
    }

    /// The rendered text (`innerText`) of the first element matching `css`, and whether that
    /// element has child elements; `None` if nothing matches.
    ///
    /// Read in the page rather than with WebDriver's Get Element Text: WebKitWebDriver (2.50)
    /// counts any element with `overflow: hidden` as not displayed and returns "" for its text,
    /// and the app clips most of its text that way (ellipsis).
    pub async fn text(&self, css: &str) -> Option<(String, usize)> {
        let script = format!(
            "const e = document.querySelector({});
             return e ? [e.innerText, e.childElementCount] : null;",
            Value::String(css.to_owned())
        );
        let v = self.js(&script).await;
        let text = v.get(0)?.as_str()?.to_owned();
        Some((text, v.get(1)?.as_u64().unwrap_or(0) as usize))
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        let script = format!(
            "return document.querySelectorAll({}).length;",
            Value::String(css.to_owned())
        );
        self.js(&script).await.as_u64().unwrap_or(0) as usize
    }

    /// Whether an element with this `data-testid` exists now.
    pub async fn exists(&self, testid: &str) -> bool {
        self.count(&tid(testid)).await > 0
    }

    /// The text of an open alert/confirm/prompt dialog, if one is open.
    pub async fn alert_text(&self) -> Option<String> {
        match self
            .cmd("Get Alert Text", self.client.get_alert_text())
            .await
        {
            Ok(text) => Some(text),
            Err(e) if e.is_no_such_alert() => None,
            Err(e) => panic!("[{}] cannot ask for an alert: {e}", self.name),
        }
    }

    /// Waits until the sidebar lists `name` in the shell state `state`, and returns the item.
    pub async fn wait_sub_state(&self, name: &str, state: &str) -> SubItem {
        self.wait_for(
            &format!("the sidebar to show {name:?} as {state}"),
            async || {
                let subs = self.sidebar().await;
                match subs.iter().find(|s| s.name == name) {
                    Some(s) if s.state == state => Ok(s.clone()),
                    Some(s) => Err(format!("{s:?}")),
                    None => Err(format!("not listed; sidebar: {subs:?}")),
                }
            },
        )
        .await
    }

    /// Waits until the detail pane shows `name` in the state `state` (as shown), and returns it.
    pub async fn wait_detail_state(&self, name: &str, state: &str) -> DetailView {
        self.wait_for(
            &format!("the detail pane to show {name:?} as {state}"),
            async || match self.detail().await {
                Some(d) if d.name == name && d.state == state => Ok(d),
                other => Err(format!("{other:?}")),
            },
        )
        .await
    }

    /// The greatest demo-server event number among the rendered log rows.
    pub async fn newest_n(&self) -> Option<u64> {
        self.log_rows().await.iter().filter_map(LogRow::n).max()
    }

    /// Waits until an element with this `data-testid` no longer exists.
    pub async fn wait_gone(&self, testid: &str) {
        self.wait_for(&format!("{testid} to go away"), async || {
            if self.exists(testid).await {
                Err("still there".to_owned())
            } else {
                Ok(())
            }
        })
        .await
    }

    // ---- acting --------------------------------------------------------------------------

    /// The element with this `data-testid`, once it exists.
    pub async fn element(&self, testid: &str) -> Element {
        self.element_css(&tid(testid)).await
    }

    /// The first element matching `css`, once it exists. (Not "once displayed": WebKitWebDriver's
    /// displayedness check says no for the log's virtual rows, which a person sees fine; clicks
    /// check interactability themselves.)
    pub async fn element_css(&self, css: &str) -> Element {
        self.wait_for(&format!("an element {css}"), async || {
            self.cmd("Find Element", self.client.find(Locator::Css(css)))
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// Clicks the element with this `data-testid`, as soon as it can be clicked.
    pub async fn click(&self, testid: &str) {
        self.click_css(&tid(testid)).await;
    }

    /// Clicks the first element matching `css`, as soon as it can be clicked.
    pub async fn click_css(&self, css: &str) {
        self.wait_for(&format!("{css} to take a click"), async || {
            let el = self
                .cmd("Find Element", self.client.find(Locator::Css(css)))
                .await
                .map_err(|e| e.to_string())?;
            let enabled = self.cmd("Is Element Enabled", el.is_enabled()).await;
            if !enabled.map_err(|e| e.to_string())? {
                return Err("disabled".into());
            }
            self.cmd("Element Click", el.click())
                .await
                .map_err(|e| e.to_string())
        })
        .await;
    }

    /// Sets the field with this `data-testid` (the last one, e.g. a newly added header row) as an
    /// input would end — typing key by key can outlast the driver's timeout under load — and
    /// waits until the page holds it. The failure never quotes `text` (it may be a secret).
    pub async fn set_value(&self, testid: &str, text: &str) {
        let script = format!(
            "const el = [...document.querySelectorAll('[data-testid=\"{testid}\"]')].pop();
             if (!el) return null;
             el.focus(); el.value = {};
             el.dispatchEvent(new Event('input', {{ bubbles: true }}));
             el.dispatchEvent(new Event('change', {{ bubbles: true }}));
             return el.value;",
            Value::String(text.to_owned())
        );
        self.wait_for(
            &format!("{testid} to hold what was set"),
            async || match self.js(&script).await {
                Value::String(v) if v == text => Ok(()),
                Value::Null => Err("no such field".into()),
                _ => Err("it holds something else".into()),
            },
        )
        .await;
    }

    /// Replaces the text of the field with this `data-testid` by typing `text` into it.
    pub async fn fill(&self, testid: &str, text: &str) {
        let field = self.element(testid).await;
        if let Err(e) = self.cmd("Element Clear", field.clear()).await {
            self.fail(&format!("cannot clear {testid}: {e}")).await;
        }
        if let Err(e) = self.cmd("Element Send Keys", field.send_keys(text)).await {
            self.fail(&format!("cannot type into {testid}: {e}")).await;
        }
        let value = self.value(testid).await;
        if value != text {
            self.fail(&format!(
                "typed {text:?} into {testid} but it holds {value:?}"
            ))
            .await;
        }
    }

    /// The current value of the field with this `data-testid`.
    pub async fn value(&self, testid: &str) -> String {
        let field = self.element(testid).await;
        self.cmd("Get Element Property", field.prop("value"))
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    // ---- screenshots ---------------------------------------------------------------------

    /// Saves a PNG of the window as `<artifacts>/<step>.png` and returns its path.
    pub async fn screenshot(&self, step: &str) -> PathBuf {
        match self.try_screenshot(step).await {
            Ok(path) => path,
            Err(e) => {
                self.fail(&format!("cannot take the screenshot {step:?}: {e}"))
                    .await
            }
        }
    }

    /// Resizes the window to `width`×`height`, saves `<step>-<width>x<height>.png`, and puts the
    /// window back to the size it had: the same screen at the smallest size the window allows,
    /// the default one and a large desktop.
    pub async fn screenshot_at(&self, step: &str, width: u32, height: u32) -> PathBuf {
        let before = match self
            .cmd("read the window size", self.client.get_window_size())
            .await
        {
            Ok(size) => size,
            Err(e) => {
                self.fail(&format!("cannot read the window size: {e}"))
                    .await
            }
        };
        if let Err(e) = self
            .cmd(
                "resize the window",
                self.client.set_window_size(width, height),
            )
            .await
        {
            self.fail(&format!(
                "cannot resize the window to {width}x{height}: {e}"
            ))
            .await
        }
        let shot = self.screenshot(&format!("{step}-{width}x{height}")).await;
        let (w, h) = before;
        if let Err(e) = self
            .cmd(
                "restore the window size",
                self.client.set_window_size(w as u32, h as u32),
            )
            .await
        {
            self.fail(&format!("cannot restore the window size: {e}"))
                .await
        }
        shot
    }

    async fn try_screenshot(&self, step: &str) -> Result<PathBuf, String> {
        // Let two frames paint first, so the picture shows what the DOM already holds: the
        // snapshot is of the last painted frame, and WebKitGTK on Xvfb's software GL sometimes
        // paints only a few frames a second. The script always answers (a timer stands in if
        // no frame comes): a WebDriver command left unanswered blocks the session.
        let frames = self.client.execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
             setTimeout(() => done(false), 2000);",
            Vec::new(),
        );
        match tokio::time::timeout(COMMAND_TIMEOUT, frames).await {
            Ok(_) => {}
            Err(_) => return Err("the page did not answer (waiting for a frame)".into()),
        }
        // WebKitWebDriver takes the picture after the page's next paint; drawn without
        // compositing, a page where nothing changes (the empty state) never paints again and
        // the screenshot never comes. An invisible change a few times a second gives it that
        // paint, and is undone afterwards.
        let _ = self
            .client
            .execute(
                "clearInterval(window.__swShotNudge);
                 let on = false;
                 window.__swShotNudge = setInterval(() => {
                   on = !on;
                   document.body.style.outline = on ? '1px solid transparent' : '';
                 }, 100);",
                Vec::new(),
            )
            .await;
        let shot = tokio::time::timeout(COMMAND_TIMEOUT, self.client.screenshot()).await;
        let _ = self
            .client
            .execute(
                "clearInterval(window.__swShotNudge); document.body.style.outline = '';",
                Vec::new(),
            )
            .await;
        let png = match shot {
            Ok(Ok(png)) => png,
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err(format!("no screenshot within {COMMAND_TIMEOUT:?}")),
        };
        let path = paths::artifacts_dir().join(format!("{step}.png"));
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("[{}] screenshot {}", self.name, path.display());
        Ok(path)
    }
}

/// The CSS selector of a `data-testid`.
fn tid(testid: &str) -> String {
    format!("[data-testid=\"{testid}\"]")
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}
