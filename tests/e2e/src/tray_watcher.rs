//! The system tray as a test sees it: a tiny StatusNotifierWatcher on the test's private
//! session bus, and a reader of the items that register with it (their properties, their
//! icon, their menu over `com.canonical.dbusmenu`), which can also click menu items.
//!
//! On Linux, Tauri's tray (the `tray-icon` crate) is a libayatana-appindicator indicator. At
//! start, and whenever `org.kde.StatusNotifierWatcher` appears on the bus, the indicator calls
//! `RegisterStatusNotifierItem` with its object path (not a bus name; the item's bus name is the
//! caller's unique name). Without a watcher it falls back to an XEmbed tray icon, which a
//! display without a tray never shows, so start the watcher before the app.
//!
//! The item does not emit `PropertiesChanged`; it emits `NewIcon`, `NewStatus`… instead, so
//! everything here reads properties afresh (`GetAll`) rather than through a caching proxy.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedValue, Value};

use crate::timing::POLL;

/// The watcher's well-known name, object path and interface.
pub const WATCHER_NAME: &str = "org.kde.StatusNotifierWatcher";
pub const WATCHER_PATH: &str = "/StatusNotifierWatcher";
const ITEM_INTERFACE: &str = "org.kde.StatusNotifierItem";
const MENU_INTERFACE: &str = "com.canonical.dbusmenu";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

/// A registered item: the bus name of its process and its object path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemAddr {
    pub service: String,
    pub path: String,
}

impl ItemAddr {
    /// As the watcher lists it: `:1.7/org/ayatana/NotificationItem/…`.
    pub fn as_watcher_entry(&self) -> String {
        format!("{}{}", self.service, self.path)
    }
}

#[derive(Default)]
struct State {
    items: Vec<ItemAddr>,
    hosts: Vec<String>,
    /// Every call made to the watcher and every item that went away, for diagnostics.
    log: Vec<String>,
}

struct Watcher {
    state: Arc<Mutex<State>>,
    started: Instant,
}

impl Watcher {
    fn note(&self, what: String) {
        let at = self.started.elapsed().as_secs_f64();
        lock(&self.state).log.push(format!("[+{at:.2}s] {what}"));
    }
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    /// `service` is an object path (libayatana-appindicator, Qt with a path) or a bus name
    /// (KDE's convention: the item is then at `/StatusNotifierItem`).
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: zbus::message::Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        let sender = header
            .sender()
            .map(|s| s.to_string())
            .ok_or_else(|| zbus::fdo::Error::InvalidArgs("no sender".into()))?;
        self.note(format!(
            "RegisterStatusNotifierItem({service:?}) from {sender}"
        ));
        let addr = if service.starts_with('/') {
            ItemAddr {
                service: sender,
                path: service.to_owned(),
            }
        } else {
            ItemAddr {
                service: service.to_owned(),
                path: "/StatusNotifierItem".to_owned(),
            }
        };
        let entry = addr.as_watcher_entry();
        {
            let mut state = lock(&self.state);
            state.items.retain(|a| a != &addr);
            state.items.push(addr);
        }
        Self::status_notifier_item_registered(&emitter, &entry).await?;
        self.registered_status_notifier_items_changed(&emitter)
            .await?;
        Ok(())
    }

    async fn register_status_notifier_host(
        &self,
        service: &str,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        self.note(format!("RegisterStatusNotifierHost({service:?})"));
        lock(&self.state).hosts.push(service.to_owned());
        Self::status_notifier_host_registered(&emitter).await?;
        Ok(())
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        lock(&self.state)
            .items
            .iter()
            .map(ItemAddr::as_watcher_entry)
            .collect()
    }

    /// Always true: the test is the host. (An indicator that sees no host may fall back to an
    /// XEmbed icon.)
    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        self.note("read IsStatusNotifierHostRegistered".into());
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_item_unregistered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_unregistered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// A StatusNotifierWatcher on a test's bus, which also acts as the (only) host.
///
/// Dropping it closes its connection, which releases the name.
pub struct TrayWatcher {
    conn: zbus::Connection,
    state: Arc<Mutex<State>>,
}

impl TrayWatcher {
    /// Serves the watcher on `bus` (a D-Bus address) and owns `org.kde.StatusNotifierWatcher`.
    /// Items that registered are dropped when their process leaves the bus.
    pub async fn start(bus: &str) -> Result<TrayWatcher, String> {
        let state = Arc::new(Mutex::new(State::default()));
        let watcher = Watcher {
            state: Arc::clone(&state),
            started: Instant::now(),
        };
        let conn = zbus::connection::Builder::address(bus)
            .and_then(|b| b.serve_at(WATCHER_PATH, watcher))
            .map_err(|e| format!("cannot set up a connection to {bus}: {e}"))?
            .build()
            .await
            .map_err(|e| format!("cannot connect to the bus {bus}: {e}"))?;

        // Follow owners leaving before taking the name, so no item can slip between.
        let dbus = zbus::fdo::DBusProxy::new(&conn)
            .await
            .map_err(|e| format!("a proxy for org.freedesktop.DBus: {e}"))?;
        let mut gone = dbus
            .receive_name_owner_changed()
            .await
            .map_err(|e| format!("cannot follow NameOwnerChanged: {e}"))?;
        let (conn2, state2) = (conn.clone(), Arc::clone(&state));
        conn.executor()
            .spawn(
                async move {
                    while let Some(signal) = gone.next().await {
                        let Ok(args) = signal.args() else { continue };
                        if args.new_owner().is_some() {
                            continue;
                        }
                        let name = args.name().to_string();
                        let removed: Vec<ItemAddr> = {
                            let mut st = lock(&state2);
                            let (gone, kept) = st.items.drain(..).partition(|a| a.service == name);
                            st.items = kept;
                            if !gone.is_empty() {
                                st.log.push(format!("{name} left the bus: item dropped"));
                            }
                            gone
                        };
                        for addr in removed {
                            let entry = addr.as_watcher_entry();
                            if let Ok(emitter) = SignalEmitter::new(&conn2, WATCHER_PATH) {
                                let _ =
                                    Watcher::status_notifier_item_unregistered(&emitter, &entry)
                                        .await;
                            }
                        }
                    }
                },
                "tray-watcher-owners",
            )
            .detach();

        conn.request_name(WATCHER_NAME).await.map_err(|e| {
            format!("cannot own {WATCHER_NAME} on {bus} (another watcher runs there?): {e}")
        })?;
        Ok(TrayWatcher { conn, state })
    }

    /// The registered items, oldest first.
    pub fn items(&self) -> Vec<ItemAddr> {
        lock(&self.state).items.clone()
    }

    /// What was called on the watcher, and which items went away, with times.
    pub fn log(&self) -> Vec<String> {
        lock(&self.state).log.clone()
    }

    /// The most recently registered item, waiting up to `timeout` for one.
    pub async fn wait_item(&self, timeout: Duration) -> Result<TrayItem, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(addr) = lock(&self.state).items.last().cloned() {
                return Ok(TrayItem {
                    conn: self.conn.clone(),
                    addr,
                });
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no StatusNotifierItem registered within {timeout:?}; calls on the \
                     watcher: {:?}",
                    self.log()
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until no item is registered (the app quit, or hid its tray icon by leaving).
    pub async fn wait_no_item(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let items = self.items();
            if items.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "items still registered after {timeout:?}: {items:?}; log: {:?}",
                    self.log()
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The current item (the latest registered), or an error saying none is.
    pub fn item(&self) -> Result<TrayItem, String> {
        let addr = lock(&self.state).items.last().cloned().ok_or_else(|| {
            format!(
                "no StatusNotifierItem is registered; calls on the watcher: {:?}",
                self.log()
            )
        })?;
        Ok(TrayItem {
            conn: self.conn.clone(),
            addr,
        })
    }

    /// The current item's visible menu labels (see [`TrayItem::menu_labels`]).
    pub async fn menu_labels(&self) -> Result<Vec<String>, String> {
        self.item()?.menu_labels().await
    }

    /// Clicks the current item's menu entry labelled `label` (see [`TrayItem::click`]).
    pub async fn click(&self, label: &str) -> Result<(), String> {
        self.item()?.click(label).await
    }

    /// The current item's icon colour (see [`TrayItem::icon_colour`]).
    pub async fn icon_colour(&self) -> Result<Colour, String> {
        self.item()?.icon_colour().await
    }
}

/// The properties of a StatusNotifierItem that a test looks at.
#[derive(Clone, Debug, Default)]
pub struct ItemProps {
    pub id: String,
    pub category: String,
    /// `Active`, `Passive` (hidden) or `NeedsAttention`.
    pub status: String,
    pub title: String,
    /// A theme icon name, or (tray-icon) the absolute path of a PNG.
    pub icon_name: String,
    pub icon_theme_path: String,
    pub attention_icon_name: String,
    /// libayatana's label next to the icon (`XAyatanaLabel`; tray-icon's `set_title`).
    pub label: String,
    /// The dbusmenu object path, if the item has a menu.
    pub menu: Option<String>,
    /// `IconPixmap`: (width, height, ARGB32 in network byte order), if the item offers it.
    pub icon_pixmap: Vec<(i32, i32, Vec<u8>)>,
    /// Every property name the item returned.
    pub names: Vec<String>,
}

/// One entry of a dbusmenu, flattened (depth-first, in menu order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MenuEntry {
    pub id: i32,
    /// 0 for the top level, 1 inside a submenu…
    pub depth: usize,
    /// The label without mnemonic underscores (`_Quit` → `Quit`, `a__b` → `a_b`).
    pub label: String,
    /// The label as sent.
    pub raw_label: String,
    /// `separator` or `standard`.
    pub kind: String,
    pub enabled: bool,
    pub visible: bool,
    /// `checkmark` or `radio` for toggles.
    pub toggle_type: Option<String>,
    /// 1 on, 0 off, -1 indeterminate.
    pub toggle_state: Option<i32>,
    pub submenu: bool,
    pub icon_name: Option<String>,
}

impl MenuEntry {
    /// Whether a toggle is on (`None` for plain items).
    pub fn checked(&self) -> Option<bool> {
        self.toggle_type.as_ref()?;
        Some(self.toggle_state == Some(1))
    }

    pub fn is_separator(&self) -> bool {
        self.kind == "separator"
    }

    /// One line, e.g. `"  Pause all [disabled]"` or `"[x] Do not disturb"`.
    pub fn describe(&self) -> String {
        let mut s = "  ".repeat(self.depth);
        if self.is_separator() {
            s.push_str("----");
            return s;
        }
        match self.checked() {
            Some(true) => s.push_str("[x] "),
            Some(false) => s.push_str("[ ] "),
            None => {}
        }
        s.push_str(&self.label);
        if !self.enabled {
            s.push_str(" [disabled]");
        }
        if !self.visible {
            s.push_str(" [hidden]");
        }
        if self.submenu {
            s.push_str(" >");
        }
        s
    }
}

/// A registered tray item, read over the bus.
#[derive(Clone)]
pub struct TrayItem {
    conn: zbus::Connection,
    addr: ItemAddr,
}

impl TrayItem {
    pub fn addr(&self) -> &ItemAddr {
        &self.addr
    }

    /// All its `org.kde.StatusNotifierItem` properties, read now.
    pub async fn props(&self) -> Result<ItemProps, String> {
        let reply = self
            .conn
            .call_method(
                Some(self.addr.service.as_str()),
                self.addr.path.as_str(),
                Some(PROPERTIES),
                "GetAll",
                &(ITEM_INTERFACE,),
            )
            .await
            .map_err(|e| format!("GetAll on the tray item {:?}: {e}", self.addr))?;
        let all: HashMap<String, OwnedValue> = reply
            .body()
            .deserialize()
            .map_err(|e| format!("the tray item's properties are not a{{sv}}: {e}"))?;
        let text = |name: &str| {
            all.get(name)
                .and_then(|v| <&str>::try_from(v).ok())
                .unwrap_or_default()
                .to_owned()
        };
        let menu = all
            .get("Menu")
            .and_then(|v| match &**v {
                Value::ObjectPath(p) => Some(p.to_string()),
                Value::Str(s) => Some(s.to_string()),
                _ => None,
            })
            .filter(|p| p != "/");
        let icon_pixmap = match all.get("IconPixmap") {
            Some(v) => v
                .try_clone()
                .ok()
                .and_then(|v| Vec::<(i32, i32, Vec<u8>)>::try_from(v).ok())
                .ok_or_else(|| format!("IconPixmap is not a(iiay): {v:?}"))?,
            None => Vec::new(),
        };
        let mut names: Vec<String> = all.keys().cloned().collect();
        names.sort();
        Ok(ItemProps {
            id: text("Id"),
            category: text("Category"),
            status: text("Status"),
            title: text("Title"),
            icon_name: text("IconName"),
            icon_theme_path: text("IconThemePath"),
            attention_icon_name: text("AttentionIconName"),
            label: text("XAyatanaLabel"),
            menu,
            icon_pixmap,
            names,
        })
    }

    async fn menu_path(&self) -> Result<String, String> {
        self.props()
            .await?
            .menu
            .ok_or_else(|| format!("the tray item {:?} has no Menu", self.addr))
    }

    /// The whole menu (`GetLayout(0, -1, [])`), flattened depth-first.
    pub async fn menu(&self) -> Result<Vec<MenuEntry>, String> {
        let path = self.menu_path().await?;
        let reply = self
            .conn
            .call_method(
                Some(self.addr.service.as_str()),
                path.as_str(),
                Some(MENU_INTERFACE),
                "GetLayout",
                &(0i32, -1i32, Vec::<&str>::new()),
            )
            .await
            .map_err(|e| format!("GetLayout on {path}: {e}"))?;
        type Layout = (u32, (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>));
        let (_revision, (_root, _props, children)): Layout = reply
            .body()
            .deserialize()
            .map_err(|e| format!("GetLayout's reply is not (u(ia{{sv}}av)): {e}"))?;
        let mut out = Vec::new();
        for child in &children {
            flatten(child, 0, &mut out)?;
        }
        Ok(out)
    }

    /// The labels of the visible, non-separator entries, in menu order (mnemonics removed).
    pub async fn menu_labels(&self) -> Result<Vec<String>, String> {
        Ok(self
            .menu()
            .await?
            .into_iter()
            .filter(|e| e.visible && !e.is_separator())
            .map(|e| e.label)
            .collect())
    }

    /// Waits until the menu satisfies `pred`; the error shows the last menu read.
    pub async fn wait_menu(
        &self,
        what: &str,
        pred: impl Fn(&[MenuEntry]) -> bool,
        timeout: Duration,
    ) -> Result<Vec<MenuEntry>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.menu().await {
                Ok(menu) if pred(&menu) => return Ok(menu),
                Ok(menu) => describe_menu(&menu),
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "the tray menu did not show {what} within {timeout:?}; last:\n{last}"
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends `Event(id, "clicked", 0, time)` for the visible, enabled entry whose label is
    /// `label`, or, if none, the only one whose label starts with it.
    pub async fn click(&self, label: &str) -> Result<(), String> {
        let menu = self.menu().await?;
        let usable = |e: &&MenuEntry| e.visible && e.enabled && !e.is_separator();
        let exact: Vec<&MenuEntry> = menu
            .iter()
            .filter(usable)
            .filter(|e| e.label == label)
            .collect();
        let chosen = match exact.as_slice() {
            [one] => *one,
            [] => {
                let prefix: Vec<&MenuEntry> = menu
                    .iter()
                    .filter(usable)
                    .filter(|e| e.label.starts_with(label))
                    .collect();
                match prefix.as_slice() {
                    [one] => *one,
                    _ => {
                        return Err(format!(
                            "no single enabled menu entry labelled {label:?} (or starting with \
                             it); the menu:\n{}",
                            describe_menu(&menu)
                        ))
                    }
                }
            }
            _ => {
                return Err(format!(
                    "several menu entries are labelled {label:?}; the menu:\n{}",
                    describe_menu(&menu)
                ))
            }
        };
        self.click_id(chosen.id).await
    }

    /// Sends `Event(id, "clicked", 0, time)` for the entry `id`.
    pub async fn click_id(&self, id: i32) -> Result<(), String> {
        let path = self.menu_path().await?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_millis() & 0xffff_ffff) as u32)
            .unwrap_or(0);
        self.conn
            .call_method(
                Some(self.addr.service.as_str()),
                path.as_str(),
                Some(MENU_INTERFACE),
                "Event",
                &(id, "clicked", Value::from(0i32), stamp),
            )
            .await
            .map_err(|e| format!("Event({id}, \"clicked\") on {path}: {e}"))?;
        Ok(())
    }

    /// The current icon: the PNG named by `IconName` (an absolute path, as tray-icon sets it,
    /// or a file in `IconThemePath`), else the largest `IconPixmap`.
    ///
    /// tray-icon deletes the previous PNG before it writes the next one, so a read that races an
    /// update is retried (3 times, 50 ms apart).
    pub async fn icon(&self) -> Result<IconImage, String> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let props = self.props().await?;
            match icon_from(&props) {
                Ok(icon) => return Ok(icon),
                Err(e) if attempt >= 3 => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Starts counting the item's update signals (`NewIcon`, `NewStatus`… on the item;
    /// `LayoutUpdated`, `ItemsPropertiesUpdated` on its menu), to check how often the app
    /// updates its tray.
    pub async fn count_updates(&self) -> Result<UpdateCounter, String> {
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .sender(self.addr.service.as_str())
            .and_then(|b| b.path_namespace(self.addr.path.as_str()))
            .map(|b| b.build())
            .map_err(|e| format!("a match rule for the tray item's signals: {e}"))?;
        let mut stream = zbus::MessageStream::for_match_rule(rule, &self.conn, None)
            .await
            .map_err(|e| format!("cannot subscribe to the tray item's signals: {e}"))?;
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let started = Instant::now();
        self.conn
            .executor()
            .spawn(
                async move {
                    while let Some(Ok(msg)) = stream.next().await {
                        let header = msg.header();
                        let member = header.member().map(|m| m.to_string()).unwrap_or_default();
                        lock(&sink).push((started.elapsed(), member));
                    }
                },
                "tray-item-updates",
            )
            .detach();
        Ok(UpdateCounter { events, started })
    }

    /// The current icon's colour (see [`IconImage::colour`]).
    pub async fn icon_colour(&self) -> Result<Colour, String> {
        Ok(self.icon().await?.colour())
    }

    /// Waits until the icon has `colour`; the error says what it had.
    pub async fn wait_icon_colour(
        &self,
        colour: Colour,
        timeout: Duration,
    ) -> Result<IconImage, String> {
        let deadline = Instant::now() + timeout;
        loop {
            // tray-icon deletes the old PNG when it writes the next: a read can miss.
            let last = match self.icon().await {
                Ok(icon) if icon.colour() == colour => return Ok(icon),
                Ok(icon) => format!("{:?} ({})", icon.colour(), icon.summary()),
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "the tray icon did not turn {colour:?} within {timeout:?}; last: {last}"
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Update signals from one tray item, with when they came (see [`TrayItem::count_updates`]).
pub struct UpdateCounter {
    events: Arc<Mutex<Vec<(Duration, String)>>>,
    started: Instant,
}

impl UpdateCounter {
    /// Every signal so far: (time since counting began, member name).
    pub fn events(&self) -> Vec<(Duration, String)> {
        lock(&self.events).clone()
    }

    /// How many `member` signals (e.g. `NewIcon`, `LayoutUpdated`) so far.
    pub fn count(&self, member: &str) -> usize {
        lock(&self.events)
            .iter()
            .filter(|(_, m)| m == member)
            .count()
    }

    /// The most `member` signals within any window of `window` (a sliding window over the
    /// signals' times): for "the icon changes at most N times a second".
    pub fn max_in_window(&self, member: &str, window: Duration) -> usize {
        let times: Vec<Duration> = lock(&self.events)
            .iter()
            .filter(|(_, m)| m == member)
            .map(|(t, _)| *t)
            .collect();
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end] - times[start] >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    /// How long it has been counting.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// The menu, one entry a line.
pub fn describe_menu(menu: &[MenuEntry]) -> String {
    if menu.is_empty() {
        return "(empty)".into();
    }
    menu.iter()
        .map(MenuEntry::describe)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Appends the node `v` (`(ia{sv}av)`) and its children to `out`.
fn flatten(v: &Value<'_>, depth: usize, out: &mut Vec<MenuEntry>) -> Result<(), String> {
    let v = peel(v);
    let Value::Structure(s) = v else {
        return Err(format!("a dbusmenu node is not a structure: {v:?}"));
    };
    let [id, props, children] = s.fields() else {
        return Err(format!(
            "a dbusmenu node has {} fields, not 3",
            s.fields().len()
        ));
    };
    let Value::I32(id) = peel(id) else {
        return Err(format!("a dbusmenu node's id is not an int32: {id:?}"));
    };
    let props: HashMap<String, OwnedValue> = peel(props)
        .try_to_owned()
        .ok()
        .and_then(|o| HashMap::try_from(o).ok())
        .ok_or_else(|| format!("the properties of dbusmenu node {id} are not a{{sv}}"))?;
    let text = |name: &str| {
        props
            .get(name)
            .and_then(|v| <&str>::try_from(v).ok())
            .map(str::to_owned)
    };
    let flag = |name: &str| props.get(name).and_then(|v| bool::try_from(v).ok());
    let raw_label = text("label").unwrap_or_default();
    out.push(MenuEntry {
        id: *id,
        depth,
        label: strip_mnemonics(&raw_label),
        raw_label,
        kind: text("type").unwrap_or_else(|| "standard".into()),
        enabled: flag("enabled").unwrap_or(true),
        visible: flag("visible").unwrap_or(true),
        toggle_type: text("toggle-type").filter(|t| !t.is_empty()),
        toggle_state: props
            .get("toggle-state")
            .and_then(|v| i32::try_from(v).ok()),
        submenu: text("children-display").as_deref() == Some("submenu"),
        icon_name: text("icon-name").filter(|t| !t.is_empty()),
    });
    let Value::Array(children) = peel(children) else {
        return Err(format!(
            "the children of dbusmenu node {id} are not an array"
        ));
    };
    for child in children.iter() {
        flatten(child, depth + 1, out)?;
    }
    Ok(())
}

/// Unwraps variants (`v` holding `v` …).
fn peel<'a, 'b>(v: &'b Value<'a>) -> &'b Value<'a> {
    match v {
        Value::Value(inner) => peel(inner),
        other => other,
    }
}

/// GTK mnemonics: `_` marks the next letter, `__` is a literal underscore.
fn strip_mnemonics(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' {
            if chars.peek() == Some(&'_') {
                chars.next();
                out.push('_');
            }
            continue;
        }
        out.push(c);
    }
    out
}

fn icon_from(props: &ItemProps) -> Result<IconImage, String> {
    let mut tried = Vec::new();
    if !props.icon_name.is_empty() {
        let name = Path::new(&props.icon_name);
        let mut candidates: Vec<PathBuf> = Vec::new();
        if name.is_absolute() {
            candidates.push(name.to_path_buf());
        } else if !props.icon_theme_path.is_empty() {
            let dir = Path::new(&props.icon_theme_path);
            candidates.push(dir.join(name));
            candidates.push(dir.join(format!("{}.png", props.icon_name)));
        }
        for c in &candidates {
            match fs::read(c) {
                Ok(bytes) => {
                    return IconImage::from_png(&bytes)
                        .map_err(|e| format!("the tray icon {}: {e}", c.display()))
                }
                Err(e) => tried.push(format!("{}: {e}", c.display())),
            }
        }
    }
    if let Some((w, h, argb)) = props
        .icon_pixmap
        .iter()
        .max_by_key(|(w, h, _)| i64::from(*w) * i64::from(*h))
    {
        return IconImage::from_argb32(*w, *h, argb);
    }
    Err(format!(
        "the tray item has no readable icon: IconName={:?} IconThemePath={:?}, no IconPixmap; \
         tried: {tried:?}",
        props.icon_name, props.icon_theme_path
    ))
}

/// A colour class, coarse enough for "the icon is green / amber / red / grey".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Colour {
    Red,
    /// Orange through yellow.
    Amber,
    Green,
    /// Cyan through blue.
    Blue,
    /// Purple, magenta.
    Other,
    /// White, grey, black: no clear hue.
    Grey,
}

impl Colour {
    /// The class of one opaque pixel.
    pub fn of(rgb: [u8; 3]) -> Colour {
        let [r, g, b] = rgb.map(f64::from);
        let max = r.max(g).max(b);
        let min = r.min(g).min(b);
        let chroma = max - min;
        if max < 40.0 || chroma / max < 0.25 || chroma < 30.0 {
            return Colour::Grey;
        }
        let hue = if max == r {
            60.0 * ((g - b) / chroma).rem_euclid(6.0)
        } else if max == g {
            60.0 * ((b - r) / chroma + 2.0)
        } else {
            60.0 * ((r - g) / chroma + 4.0)
        };
        match hue {
            h if !(18.0..330.0).contains(&h) => Colour::Red,
            h if h < 70.0 => Colour::Amber,
            h if h < 170.0 => Colour::Green,
            h if h < 260.0 => Colour::Blue,
            _ => Colour::Other,
        }
    }
}

/// An icon as 8-bit RGBA.
#[derive(Clone, Debug)]
pub struct IconImage {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl IconImage {
    /// Decodes a PNG of any colour type into RGBA.
    pub fn from_png(bytes: &[u8]) -> Result<IconImage, String> {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(|e| format!("not a PNG: {e}"))?;
        let size = reader.output_buffer_size().ok_or("the PNG is too large")?;
        let mut buf = vec![0; size];
        let info = reader
            .next_frame(&mut buf)
            .map_err(|e| format!("cannot decode the PNG: {e}"))?;
        buf.truncate(info.buffer_size());
        let rgba = match info.color_type {
            png::ColorType::Rgba => buf,
            png::ColorType::Rgb => buf
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            png::ColorType::GrayscaleAlpha => buf
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
            png::ColorType::Grayscale => buf.iter().flat_map(|&v| [v, v, v, 255]).collect(),
            png::ColorType::Indexed => return Err("an indexed PNG was not expanded".into()),
        };
        Ok(IconImage {
            width: info.width,
            height: info.height,
            rgba,
        })
    }

    /// From an `IconPixmap` entry: ARGB32 in network byte order.
    pub fn from_argb32(width: i32, height: i32, argb: &[u8]) -> Result<IconImage, String> {
        let (w, h) = (
            u32::try_from(width).map_err(|_| format!("IconPixmap width {width}"))?,
            u32::try_from(height).map_err(|_| format!("IconPixmap height {height}"))?,
        );
        if argb.len() != (w as usize) * (h as usize) * 4 {
            return Err(format!(
                "IconPixmap {w}x{h} has {} bytes, not {}",
                argb.len(),
                w * h * 4
            ));
        }
        Ok(IconImage {
            width: w,
            height: h,
            rgba: argb
                .chunks_exact(4)
                .flat_map(|p| [p[1], p[2], p[3], p[0]])
                .collect(),
        })
    }

    /// The opaque pixels (alpha ≥ 128), as RGB.
    fn opaque(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.rgba
            .chunks_exact(4)
            .filter(|p| p[3] >= 128)
            .map(|p| [p[0], p[1], p[2]])
    }

    /// The share (0..=1) of opaque pixels in each colour class, largest first.
    pub fn shares(&self) -> Vec<(Colour, f64)> {
        let mut counts: HashMap<Colour, usize> = HashMap::new();
        let mut total = 0usize;
        for px in self.opaque() {
            *counts.entry(Colour::of(px)).or_default() += 1;
            total += 1;
        }
        let mut shares: Vec<(Colour, f64)> = counts
            .into_iter()
            .map(|(c, n)| (c, n as f64 / total.max(1) as f64))
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1));
        shares
    }

    /// What the icon "is": the most common hue class among its opaque pixels if hued pixels
    /// make up at least a quarter of them (a white glyph on a green disc is green), else
    /// [`Colour::Grey`].
    pub fn colour(&self) -> Colour {
        let shares = self.shares();
        let hued: f64 = shares
            .iter()
            .filter(|(c, _)| *c != Colour::Grey)
            .map(|(_, s)| s)
            .sum();
        if hued < 0.25 {
            return Colour::Grey;
        }
        shares
            .iter()
            .find(|(c, _)| *c != Colour::Grey)
            .map(|(c, _)| *c)
            .unwrap_or(Colour::Grey)
    }

    /// The average RGB of the opaque pixels of the icon's [`colour`](Self::colour) class.
    pub fn dominant_rgb(&self) -> Option<[u8; 3]> {
        let class = self.colour();
        let (mut sum, mut n) = ([0u64; 3], 0u64);
        for px in self.opaque().filter(|&px| Colour::of(px) == class) {
            for (s, v) in sum.iter_mut().zip(px) {
                *s += u64::from(v);
            }
            n += 1;
        }
        (n > 0).then(|| sum.map(|s| (s / n) as u8))
    }

    /// E.g. `32x32, Green 71% Grey 29%, dominant #2ea043`.
    pub fn summary(&self) -> String {
        let shares: Vec<String> = self
            .shares()
            .iter()
            .map(|(c, s)| format!("{c:?} {:.0}%", s * 100.0))
            .collect();
        let rgb = self
            .dominant_rgb()
            .map(|[r, g, b]| format!("#{r:02x}{g:02x}{b:02x}"))
            .unwrap_or_else(|| "none".into());
        format!(
            "{}x{}, {}, dominant {rgb}",
            self.width,
            self.height,
            if shares.is_empty() {
                "fully transparent".into()
            } else {
                shares.join(" ")
            }
        )
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_classes() {
        assert_eq!(Colour::of([0x2e, 0xa0, 0x43]), Colour::Green);
        assert_eq!(Colour::of([0xf5, 0xa6, 0x23]), Colour::Amber);
        assert_eq!(Colour::of([0xff, 0xd0, 0x00]), Colour::Amber);
        assert_eq!(Colour::of([0xd7, 0x3a, 0x49]), Colour::Red);
        assert_eq!(Colour::of([0x8b, 0x94, 0x9e]), Colour::Grey);
        assert_eq!(Colour::of([0xff, 0xff, 0xff]), Colour::Grey);
        assert_eq!(Colour::of([0x10, 0x10, 0x10]), Colour::Grey);
        assert_eq!(Colour::of([0x1f, 0x6f, 0xeb]), Colour::Blue);
    }

    #[test]
    fn sliding_window() {
        let at = |ms: u64, m: &str| (Duration::from_millis(ms), m.to_owned());
        let counter = UpdateCounter {
            events: Arc::new(Mutex::new(vec![
                at(0, "NewIcon"),
                at(100, "LayoutUpdated"),
                at(400, "NewIcon"),
                at(900, "NewIcon"),
                at(1000, "NewIcon"),
                at(2500, "NewIcon"),
            ])),
            started: Instant::now(),
        };
        assert_eq!(counter.count("NewIcon"), 5);
        assert_eq!(counter.max_in_window("NewIcon", Duration::from_secs(1)), 3);
        assert_eq!(
            counter.max_in_window("NewIcon", Duration::from_millis(100)),
            1
        );
        assert_eq!(
            counter.max_in_window("NewStatus", Duration::from_secs(1)),
            0
        );
    }

    #[test]
    fn mnemonics() {
        assert_eq!(strip_mnemonics("_Quit"), "Quit");
        assert_eq!(strip_mnemonics("a__b"), "a_b");
        assert_eq!(
            strip_mnemonics("5 open · 1 retrying"),
            "5 open · 1 retrying"
        );
    }

    #[test]
    fn white_glyph_on_green_is_green() {
        let mut rgba = Vec::new();
        for i in 0..100 {
            let px = if i < 60 {
                [0x2e, 0xa0, 0x43, 255]
            } else if i < 90 {
                [255, 255, 255, 255]
            } else {
                [0, 0, 0, 0]
            };
            rgba.extend(px);
        }
        let icon = IconImage {
            width: 10,
            height: 10,
            rgba,
        };
        assert_eq!(icon.colour(), Colour::Green);
        assert_eq!(icon.dominant_rgb(), Some([0x2e, 0xa0, 0x43]));
    }
}
