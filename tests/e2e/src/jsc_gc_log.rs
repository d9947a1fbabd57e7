//! The web page's JavaScript heap as JavaScriptCore reports it with `JSC_logGC=1` (the web
//! process inherits the variable from the app, and its stderr goes to the driver log).
//!
//! WebKit has no `performance.memory`, and RSS mixes the JavaScript heap with everything else
//! the web process holds. The heap size after each *full* collection is what the page's live
//! objects take: if it stays flat while RSS climbs, the page retains nothing and the growth is
//! native (allocator, caches).

use std::collections::BTreeMap;

/// One collection: its kind and the heap before and after it, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collection {
    pub full: bool,
    pub before_kib: u64,
    pub after_kib: u64,
}

/// The collections of the busiest heap in a log (the page's: other, idle heaps log a few empty
/// ones), in order. A collection is logged as a `START` line
/// (`START M 73562kb => FullCollection, …`) and, a few lines on, its end
/// (`… => 27990kb, p=49.9ms (max …), cycle 60.2ms END]`).
pub fn collections(log: &str) -> Vec<Collection> {
    let mut by_heap: BTreeMap<&str, Vec<Collection>> = BTreeMap::new();
    let mut open: BTreeMap<&str, (bool, u64)> = BTreeMap::new();
    for line in log.lines() {
        // "[GC<0x7f9dc24080c0>: …": the heap's address.
        let Some(heap) = line
            .strip_prefix("[GC<")
            .and_then(|r| r.split_once('>'))
            .map(|(h, _)| h)
        else {
            continue;
        };
        if let Some(rest) = line.split_once("START ").map(|(_, r)| r) {
            // "M 73562kb => FullCollection, …"
            let mut words = rest.split_whitespace();
            let _phase = words.next();
            let before = words.next().and_then(kib);
            let kind = words.nth(1);
            if let (Some(before), Some(kind)) = (before, kind) {
                open.insert(heap, (kind.starts_with("Full"), before));
            }
        }
        if line.contains("END]") {
            let Some(&(full, before_kib)) = open.get(heap) else {
                continue;
            };
            // The last "=> NNNkb" on the line is the size after.
            let after = line
                .rsplit("=> ")
                .next()
                .and_then(|r| r.split([',', ' ']).next())
                .and_then(kib);
            if let Some(after_kib) = after {
                by_heap.entry(heap).or_default().push(Collection {
                    full,
                    before_kib,
                    after_kib,
                });
                open.remove(heap);
            }
        }
    }
    by_heap
        .into_values()
        .max_by_key(|c| c.len())
        .unwrap_or_default()
}

fn kib(word: &str) -> Option<u64> {
    word.strip_suffix("kb")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Lines as WebKitGTK 2.50 writes them (trimmed).
    const LOG: &str = "\
[GC<0x7f9dc24080c0>: starting 0.045000ms]
[GC<0x7f9dc24080c0>: START M 3557kb => EdenCollection, a=0kb hf=0.000 mu=0.600 v=0kb (C:0 M:0 P1:0) o=0 b=0 i#1:N<CsMsrShDMsm(0)> 528+0 p=2.114000ms (max 2.114000)...]
[GC<0x7f9dc24080c0>: M a=0kb hf=0.000 mu=0.600 v=1548kb (C:908 M:0 P1:639) o=30 b=0 i#2:N<WsOJw> 0+0 v=1632kb (C:908 M:0 P1:723) o=31 b=0 i#3:P<OWsJwMsrShCsDMsm(0)CbDomo> => 3372kb, p=10.707000ms (max 10.707000), cycle 23.644000ms END]
GC END!
streamwatch: something else on stderr
[GC<0x7f9dc24080c0>: START M 73562kb => FullCollection, a=0kb hf=0.000 mu=0.600 v=0kb (C:0 M:0 P1:0) o=0 b=1246 i#1:N<CsMsrShDMsm(0)> 1710+0 p=49.940000ms (max 49.940000)...]
[GC<0x7f9dc24080c0>: M a=479kb hf=0.014 mu=0.591 v=26124kb (C:1423 M:0 P1:24701) o=38 b=0 i#2:N<WsOJw> 2055+147 => 27990kb, p=3.1ms (max 49.94), cycle 60.2ms END]
[GC<0x7f9dc24080c0>: START M 9000kb => EdenCollection, a=0kb
[GC<0x7f00000000c0>: START M 0kb => FullCollection, a=0kb
[GC<0x7f00000000c0>: M a=0kb => 0kb, p=0.1ms (max 0.1), cycle 0.2ms END]";

    #[test]
    fn reads_each_finished_collection_of_the_busiest_heap() {
        assert_eq!(
            collections(LOG),
            vec![
                Collection {
                    full: false,
                    before_kib: 3557,
                    after_kib: 3372
                },
                Collection {
                    full: true,
                    before_kib: 73562,
                    after_kib: 27990
                },
            ]
        );
    }

    #[test]
    fn a_log_without_collections_has_none() {
        assert!(collections("streamwatch: started\nGC END!\n").is_empty());
    }
}
