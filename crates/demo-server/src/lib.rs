//! A real Server-Sent Events server with fault knobs: Streamwatch's first-run demo and the
//! server its tests talk to.
//!
//! # Routes
//! - `GET`/`POST /events` — the numbered event stream (a POST body is ignored but logged).
//! - `ANY /redirect?to=/path?query` — 307 to a local path.
//! - `GET /edge-cases` — a stream covering the WHATWG parsing rules in small writes;
//!   `GET /edge-cases/expected` — the events a conforming parser gets from it.
//! - `POST /v1/chat/completions`, `POST /v1/responses`, `POST /v1/messages` and
//!   `POST /v1beta/models/{model}:streamGenerateContent?alt=sse` — LLM-like answers in the
//!   OpenAI Chat Completions, OpenAI Responses, Anthropic Messages and Gemini streaming formats,
//!   one token every [`DemoConfig::llm_token`] (`token_ms`). Fault knobs: `first_token_ms`,
//!   `stall_before_first=1`, `cut_before_end=1` (no `[DONE]`, `message_stop`, …),
//!   `abort_after=N` tokens, and `status=429,200` (+ `key`, `retry_after`) as on `/events` but
//!   answered with the provider's error JSON. The answer echoes the words of the last user
//!   message after `You said:` (a fixed paragraph without one), cut at the request's max
//!   tokens; a body that is not a valid request is a 400 with the provider's error JSON.
//! - `GET /requests` — the last 200 requests to `/events` and the LLM endpoints ([`LoggedRequest`]).
//! - `GET /health` — `ok`.
//!
//! # HTTP/2
//! Every connection speaks HTTP/1.1 or HTTP/2: over cleartext, HTTP/2 to a client that opens
//! with its preface (h2c, prior knowledge); [`DemoServer::start_tls`] serves HTTPS with a
//! certificate authority made at start ([`DemoServer::ca_pem`]) and ALPN offering `h2` first.
//! [`DemoServer::connections_accepted`] counts TCP connections, to show streams sharing them.
//!
//! # The sequence
//! Event `n` is `id: n`, `event: <type n>`, `data: {"n":n,"ts":<unix ms>,"pad":"x…"}`. At rate
//! `R > 0` it is published at server start + `n / R`: a fresh connection starts at the next one,
//! a connection with `Last-Event-ID: k` (header, or `lastEventId` query parameter) first gets the
//! published `k+1..` at once (at most `replay` of them), then follows live. A `k` beyond what
//! the server has published (the client kept ids from before a server restart) is taken as the
//! truth: that connection goes on live at `k+1`, so a restart does not look like a reset. At
//! rate 0 every connection streams from `k+1` (or 1) as fast as the socket takes it.
//!
//! # Query knobs on `/events`
//! `rate`, `size`, `types`, `replay`, `count`, `close_after`, `abort_after`, `stall_after`,
//! `heartbeat_ms`, `retry`, `status` (+ `key`, `retry_after`), `content_type`, `trickle_ms`,
//! `skip`, `crlf`, `bom`, `lastEventId`; see [`DemoConfig`] for their meaning. `count` and
//! `close_after` end the body cleanly (a planned close: the client reconnects as after any
//! server-closed stream); `abort_after` cuts it off without its final chunk (a broken body,
//! which a client reports as a network error). More test a client's id
//! continuity: `reset_ids=1` ignores `Last-Event-ID` and starts every connection at 1 (a server
//! whose counter restarts), `resend=N` re-sends the last N events a resuming client already
//! has, `bad_every=N` sends every Nth event's `n` as a string (`"n":"12"`: data that breaks a
//! client's schema), and `jump_back=N` (at rate 0) numbers the event after every Nth of a connection 1
//! again without closing (a counter that restarts mid-stream); `skip` leaves ids out inside one
//! connection.
//! `compress=gzip|br|zstd|deflate` compresses the body whatever the client accepts, and
//! `compress=auto` with the first of those the client's `Accept-Encoding` lists; either way the
//! encoder is flushed after every write, so each event inflates as soon as it arrives.
//! Unknown parameters are ignored.

mod args;
mod compress;
mod config;
mod edge_cases;
mod faults;
mod knobs;
mod llm;
mod request_log;
mod routes;
mod sequence;
mod server;
mod status;
mod stream;
mod tls;

pub use args::{serve_until_ctrl_c, DemoArgs};
pub use config::DemoConfig;
pub use edge_cases::{edge_case_chunks, edge_case_expected, ExpectedEvent};
pub use request_log::{LoggedRequest, REQUEST_LOG_LEN};
pub use server::DemoServer;
