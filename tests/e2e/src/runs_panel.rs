//! The Runs panel of a probe or finite stream, as the tests read it: the table's rows and a run
//! opened (its figures).

use std::collections::BTreeMap;

use crate::app::App;

/// The runs table's rows: result, first token, duration, answer.
pub async fn rows(app: &App) -> Vec<[String; 4]> {
    let v = app
        .js("return [...document.querySelectorAll('[data-testid=\"run-row\"]')].map((r) => {
               const t = (id) => { const e = r.querySelector('[data-testid=\"' + id + '\"]'); return e ? e.textContent.trim() : ''; };
               return [t('run-result'), t('run-first-token'), t('run-duration'), t('run-answer')];
             });")
        .await;
    v.as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let s = |i: usize| r[i].as_str().unwrap_or("").to_owned();
                    [s(0), s(1), s(2), s(3)]
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Opens the newest run row whose result is `result` (a click, as the page gets it: the rows
/// are re-read every few seconds, so a WebDriver element may be replaced under the driver).
pub async fn open_run(app: &App, result: &str) {
    app.wait_for(&format!("a {result} run to open"), async || {
        let opened = app
            .js(&format!(
                "const r = document.querySelector('[data-testid=\"run-row\"][data-result=\"{result}\"]');
                 if (!r) return false;
                 if (r.getAttribute('aria-expanded') === 'true')
                   return !!document.querySelector('[data-testid=\"run-detail\"]');
                 r.click();
                 return false;"
            ))
            .await;
        if opened == true {
            Ok(())
        } else {
            Err(format!("{opened}"))
        }
    })
    .await;
}

/// The opened run's figures (`run-fig-<key>` → its text: `status`, `ttfb`, `first-event`,
/// `first-token`, `duration`, `events`, `bytes`, `end`, `format`, `finish`, `usage`).
pub async fn figures(app: &App) -> BTreeMap<String, String> {
    let v = app
        .js("const out = {};
             for (const e of document.querySelectorAll('[data-testid=\"run-figures\"] [data-testid^=\"run-fig-\"]'))
               out[e.dataset.testid.slice('run-fig-'.length)] = e.textContent.trim();
             return out;")
        .await;
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}
