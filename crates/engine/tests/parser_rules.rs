//! Every WHATWG parsing rule, each checked whole, byte by byte and under arbitrary chunk splits.

use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use streamwatch_engine::parser::{Frame, ParseError, Parser};
use streamwatch_engine::SharedStr;

/// A frame in a form that is easy to write in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
enum F {
    E(&'static str, &'static str, &'static str),
    C(&'static str),
    R(u64),
}

fn owned(frames: &[Frame]) -> Vec<(String, String, String, u8)> {
    frames
        .iter()
        .map(|f| match f {
            Frame::Event(e) => (e.event.to_string(), e.data.to_string(), e.id.to_string(), 0),
            Frame::Comment(c) => (c.to_string(), String::new(), String::new(), 1),
            Frame::Retry(ms) => (ms.to_string(), String::new(), String::new(), 2),
        })
        .collect()
}

fn expected(frames: &[F]) -> Vec<(String, String, String, u8)> {
    frames
        .iter()
        .map(|f| match f {
            F::E(t, d, i) => (t.to_string(), d.to_string(), i.to_string(), 0),
            F::C(c) => (c.to_string(), String::new(), String::new(), 1),
            F::R(ms) => (ms.to_string(), String::new(), String::new(), 2),
        })
        .collect()
}

/// Parses `input` cut at the given (sorted, deduplicated) positions.
fn parse_split(input: &[u8], cuts: &[usize]) -> (Vec<Frame>, String) {
    let mut p = Parser::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.min(input.len());
        if cut < start {
            continue;
        }
        p.feed(Bytes::copy_from_slice(&input[start..cut]), |f| out.push(f))
            .expect("no error expected");
        start = cut;
    }
    (out, p.last_event_id().to_string())
}

fn check_id(input: &[u8], want: &[F], want_last_id: &str) {
    let want = expected(want);
    let (whole, id) = parse_split(input, &[]);
    assert_eq!(owned(&whole), want, "whole input");
    assert_eq!(id, want_last_id, "last id, whole input");
    let every: Vec<usize> = (1..input.len()).collect();
    let (bytewise, id) = parse_split(input, &every);
    assert_eq!(owned(&bytewise), want, "byte by byte");
    assert_eq!(id, want_last_id, "last id, byte by byte");
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let len = input.len();
    runner
        .run(&proptest::collection::vec(0..=len, 0..12), |mut cuts| {
            cuts.sort_unstable();
            cuts.dedup();
            let (frames, id) = parse_split(input, &cuts);
            prop_assert_eq!(owned(&frames), want.clone());
            prop_assert_eq!(id, want_last_id);
            Ok(())
        })
        .expect("arbitrary chunk splits");
}

fn check(input: &[u8], want: &[F]) {
    let want_id = want
        .iter()
        .rev()
        .find_map(|f| match f {
            F::E(_, _, id) => Some(*id),
            _ => None,
        })
        .unwrap_or("");
    check_id(input, want, want_id);
}

#[test]
fn simple_event_with_default_type() {
    check(b"data: hello\n\n", &[F::E("message", "hello", "")]);
}

#[test]
fn one_leading_bom_is_stripped() {
    check(b"\xEF\xBB\xBFdata: a\n\n", &[F::E("message", "a", "")]);
}

#[test]
fn only_one_bom_is_stripped() {
    // A second BOM makes the field name "\u{FEFF}data", an unknown field.
    check(
        b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n",
        &[F::E("message", "b", "")],
    );
}

#[test]
fn a_partial_bom_prefix_is_ordinary_input() {
    // EF BB then 'd': not a BOM; the bytes are invalid UTF-8 in a field name, so the line is an
    // unknown field and ignored.
    check(
        b"\xEF\xBBdata: a\n\ndata: b\n\n",
        &[F::E("message", "b", "")],
    );
}

#[test]
fn cr_lf_and_crlf_all_end_lines() {
    check(
        b"data: a\r\rdata: b\n\ndata: c\r\n\r\ndata: d\r\n\n",
        &[
            F::E("message", "a", ""),
            F::E("message", "b", ""),
            F::E("message", "c", ""),
            F::E("message", "d", ""),
        ],
    );
}

#[test]
fn crlf_split_across_reads_is_one_line_end() {
    // Cutting between CR and LF must not create a blank line (which would dispatch early).
    let input = b"data: a\r\ndata: b\r\n\r\n";
    let (frames, _) = parse_split(input, &[8]);
    assert_eq!(owned(&frames), expected(&[F::E("message", "a\nb", "")]));
    check(input, &[F::E("message", "a\nb", "")]);
}

#[test]
fn comments_are_reported_with_one_space_stripped() {
    check(
        b": hello\n:  two spaces\n:\ndata: x\n\n",
        &[
            F::C("hello"),
            F::C(" two spaces"),
            F::C(""),
            F::E("message", "x", ""),
        ],
    );
}

#[test]
fn colonless_line_is_a_field_with_empty_value() {
    check(b"data\n\n", &[F::E("message", "", "")]);
    check(b"data\ndata\n\n", &[F::E("message", "\n", "")]);
    check(b"event\ndata: x\n\n", &[F::E("message", "x", "")]);
}

#[test]
fn only_one_leading_space_is_stripped() {
    check(
        b"data:no space\n\ndata:  two\n\n",
        &[F::E("message", "no space", ""), F::E("message", " two", "")],
    );
}

#[test]
fn field_names_are_case_sensitive_and_unknown_fields_ignored() {
    check(
        b"Data: no\nEVENT: no\nfoo: bar\ndata: yes\n\n",
        &[F::E("message", "yes", "")],
    );
}

#[test]
fn data_lines_join_with_lf_and_one_trailing_lf_is_dropped() {
    check(
        b"data: a\ndata: b\ndata:\n\n",
        &[F::E("message", "a\nb\n", "")],
    );
}

#[test]
fn event_sets_type_and_empty_type_means_message() {
    check(
        b"event: tick\ndata: 1\n\nevent:\ndata: 2\n\ndata: 3\n\n",
        &[
            F::E("tick", "1", ""),
            F::E("message", "2", ""),
            F::E("message", "3", ""),
        ],
    );
}

#[test]
fn type_does_not_leak_into_the_next_event() {
    check(b"event: a\n\ndata: x\n\n", &[F::E("message", "x", "")]);
}

#[test]
fn id_persists_across_events_and_empty_id_resets() {
    check(
        b"id: 1\ndata: a\n\ndata: b\n\nid:\ndata: c\n\n",
        &[
            F::E("message", "a", "1"),
            F::E("message", "b", "1"),
            F::E("message", "c", ""),
        ],
    );
}

#[test]
fn id_with_nul_is_ignored() {
    check(
        b"id: 5\ndata: a\n\nid: 6\x007\ndata: b\n\n",
        &[F::E("message", "a", "5"), F::E("message", "b", "5")],
    );
}

#[test]
fn id_only_block_updates_last_id_without_an_event() {
    check_id(b"id: 9\n\n", &[], "9");
}

#[test]
fn retry_applies_at_once_and_only_when_all_digits() {
    check(
        b"retry: 3000\nretry: 12x\nretry: -1\nretry:\nretry: 1 0\ndata: a\n\n",
        &[F::R(3000), F::E("message", "a", "")],
    );
}

#[test]
fn retry_arrives_before_the_event_is_dispatched() {
    // Applied at once: it does not wait for the blank line.
    check(b"retry: 7\n", &[F::R(7)]);
}

#[test]
fn no_event_when_data_buffer_is_empty() {
    check_id(b"event: x\n\n\n\nid: 3\n\n", &[], "3");
}

#[test]
fn unterminated_event_at_end_of_stream_is_discarded() {
    check(b"data: a\n\ndata: b\n", &[F::E("message", "a", "")]);
    check(b"data: a\n\ndata: b", &[F::E("message", "a", "")]);
}

#[test]
fn utf8_split_across_reads_decodes() {
    // "é" and "€" and an emoji, each cut at every byte by the split checks.
    check("data: é€😀\n\n".as_bytes(), &[F::E("message", "é€😀", "")]);
}

#[test]
fn invalid_utf8_becomes_replacement_character() {
    check(b"data: a\xFFb\n\n", &[F::E("message", "a\u{FFFD}b", "")]);
    check(b"data: \xE2\x82\n\n", &[F::E("message", "\u{FFFD}", "")]);
}

#[test]
fn long_values_are_shared_not_copied() {
    let value = "x".repeat(1000);
    let input = Bytes::from(format!("data: {value}\n\n"));
    let mut p = Parser::new();
    let mut out = Vec::new();
    p.feed(input.clone(), |f| out.push(f)).unwrap();
    match &out[..] {
        [Frame::Event(e)] => {
            assert_eq!(e.data.as_str(), value);
            assert_eq!(
                e.data.as_ptr(),
                input[6..].as_ptr(),
                "data must point into the input"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn oversized_event_is_a_protocol_error_and_parser_recovers() {
    let mut p = Parser::with_max_event_size(64);
    let mut out = Vec::new();
    let big = format!("data: {}\n", "y".repeat(40));
    p.feed(Bytes::from(big.clone()), |f| out.push(f)).unwrap();
    let err = p.feed(Bytes::from(big), |f| out.push(f)).unwrap_err();
    assert_eq!(err, ParseError::EventTooLarge { limit: 64 });
    assert!(out.is_empty());
    p.feed(Bytes::from_static(b"\ndata: ok\n\n"), |f| out.push(f))
        .unwrap();
    assert_eq!(owned(&out), expected(&[F::E("message", "ok", "")]));
}

#[test]
fn an_endless_line_is_bounded_too() {
    let mut p = Parser::with_max_event_size(1024);
    let chunk = Bytes::from(vec![b'a'; 300]);
    let mut failed = false;
    for _ in 0..10 {
        if p.feed(chunk.clone(), |_| {}).is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed, "a line that never ends must hit the cap");
}

#[test]
fn starting_last_id_is_kept_until_the_server_sets_one() {
    let mut p = Parser::new().with_last_event_id(SharedStr::from("41"));
    let mut out = Vec::new();
    p.feed(Bytes::from_static(b"data: a\n\nid: 42\ndata: b\n\n"), |f| {
        out.push(f)
    })
    .unwrap();
    assert_eq!(
        owned(&out),
        expected(&[F::E("message", "a", "41"), F::E("message", "b", "42")])
    );
    assert_eq!(p.last_event_id().as_str(), "42");
}

proptest! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

    /// Any stream of well-formed events parses the same under any chunking.
    #[test]
    fn random_streams_parse_the_same_under_any_split(
        events in proptest::collection::vec(("[a-z]{0,6}", "[ -~é€]{0,40}", "[0-9]{0,4}"), 0..20),
        crlf in any::<bool>(),
        cuts in proptest::collection::vec(0usize..4000, 0..30),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut input = String::new();
        for (t, d, i) in &events {
            input.push_str(&format!("id: {i}{nl}event: {t}{nl}data: {d}{nl}{nl}"));
        }
        let mut cuts = cuts;
        cuts.sort_unstable();
        cuts.dedup();
        let (whole, _) = parse_split(input.as_bytes(), &[]);
        let (split, _) = parse_split(input.as_bytes(), &cuts);
        prop_assert_eq!(owned(&whole), owned(&split));
        prop_assert_eq!(whole.len(), events.len());
        for (f, (t, d, i)) in whole.iter().zip(&events) {
            match f {
                Frame::Event(e) => {
                    let want_t = if t.is_empty() { "message" } else { t.as_str() };
                    prop_assert_eq!(e.event.as_str(), want_t);
                    prop_assert_eq!(e.data.as_str(), d.as_str());
                    prop_assert_eq!(e.id.as_str(), i.as_str());
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }

    /// Arbitrary bytes never panic, and chunking never changes the result.
    #[test]
    fn garbage_never_panics_and_split_is_irrelevant(
        input in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(0usize..600, 0..20),
    ) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        cuts.dedup();
        let (whole, a) = parse_split(&input, &[]);
        let (split, b) = parse_split(&input, &cuts);
        prop_assert_eq!(owned(&whole), owned(&split));
        prop_assert_eq!(a, b);
    }
}

#[test]
fn has_id_tells_own_ids_from_inherited_ones() {
    let mut p = Parser::new();
    let mut got = Vec::new();
    p.feed(
        Bytes::from_static(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\x00\ndata: c\n\n"),
        |f| {
            if let Frame::Event(e) = f {
                got.push((e.id.to_string(), e.has_id));
            }
        },
    )
    .unwrap();
    assert_eq!(
        got,
        [("1".into(), true), ("1".into(), false), ("1".into(), false)]
    );
}

#[test]
fn names_that_only_start_like_ours_are_unknown_fields() {
    check(
        b"datum: x\ndata: y\n\nidx: 5\nevents: e\nretryx: 9\ndata: z\n\n",
        &[F::E("message", "y", ""), F::E("message", "z", "")],
    );
}

#[test]
fn a_long_line_split_across_reads_is_joined_into_one_exact_buffer() {
    let value = "v".repeat(5000);
    let input = format!("data: {value}\n\n");
    let mut p = Parser::new();
    let mut out = Vec::new();
    for piece in input.as_bytes().chunks(1500) {
        p.feed(Bytes::copy_from_slice(piece), |f| out.push(f))
            .unwrap();
    }
    match &out[..] {
        [Frame::Event(e)] => assert_eq!(e.data.as_str(), value),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_comment_longer_than_the_cap_is_refused_whatever_the_reads() {
    // Found by the fuzzer: whole, such a comment used to pass; split, it was refused.
    let line = format!(":{}\n", "c".repeat(40));
    let whole = Parser::with_max_event_size(8)
        .feed(Bytes::from(line.clone()), |_| {})
        .unwrap_err();
    let mut split = Parser::with_max_event_size(8);
    let (a, b) = line.split_at(5);
    let first = split.feed(Bytes::from(a.to_string()), |_| {});
    let second = split.feed(Bytes::from(b.to_string()), |_| {});
    let split_err = first.err().or(second.err()).expect("refused when split");
    assert_eq!(whole, ParseError::EventTooLarge { limit: 8 });
    assert_eq!(split_err, whole);
}

#[test]
fn an_id_or_type_past_the_field_limit_is_an_error_in_any_split() {
    use streamwatch_engine::parser::MAX_FIELD_BYTES;
    for (name, line) in [
        ("id", format!("id: {}\n", "7".repeat(MAX_FIELD_BYTES + 1))),
        (
            "event",
            format!("event: {}\n", "t".repeat(MAX_FIELD_BYTES + 1)),
        ),
    ] {
        let want = ParseError::FieldTooLong {
            field: name,
            limit: MAX_FIELD_BYTES,
        };
        for cut in [1, 7, 1000, line.len()] {
            let mut p = Parser::new();
            let mut err = None;
            for piece in line.as_bytes().chunks(cut) {
                if let Err(e) = p.feed(Bytes::copy_from_slice(piece), |_| {}) {
                    err = Some(e);
                    break;
                }
            }
            assert_eq!(err.as_ref(), Some(&want), "{name}, reads of {cut}");
        }
    }
    // At the limit it is kept, and sent back as the last event id.
    let at_limit = "7".repeat(MAX_FIELD_BYTES);
    let mut p = Parser::new();
    p.feed(Bytes::from(format!("id: {at_limit}\ndata: x\n\n")), |_| {})
        .unwrap();
    assert_eq!(p.last_event_id().as_str(), at_limit);
}

#[test]
fn an_id_of_invalid_utf8_is_held_once_and_bounded() {
    // Every byte invalid: U+FFFD triples it. The id is kept once (not once per copy).
    let cap = 352;
    let mut body = b"id: ".to_vec();
    body.extend(std::iter::repeat_n(0xab_u8, 300));
    body.extend_from_slice(b"\ndata: x\n\n");
    let mut p = Parser::with_max_event_size(cap);
    p.feed(Bytes::from(body), |_| {}).unwrap();
    let held = p.held_bytes();
    assert!(held <= 3 * 300 + 64, "held {held}");
}
