//! Shards: a deterministic share of a sweep's points (or a plan's options), so that one
//! job can run on many machines and `infersim merge` can put the shares back together.

use serde::{Deserialize, Serialize};

/// Most shards a job may be split into.
pub const MAX_SHARDS: u32 = 100_000;

/// Shard `index` of `count` (1-based, as written `K/N`). Shard K owns the items whose
/// index `i` (0-based) has `i % N == K - 1`: round robin, so that expensive neighbouring
/// points (a grid's first axis varies slowest) spread over the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// K, from 1 to `count`.
    pub index: u32,
    /// N, from 1 to [`MAX_SHARDS`].
    pub count: u32,
}

impl Shard {
    /// Parses `K/N`.
    ///
    /// # Errors
    /// A message when the text is not two whole numbers `K/N` with `1 <= K <= N <=
    /// MAX_SHARDS`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "expected a shard as K/N with 1 <= K <= N <= {MAX_SHARDS} (e.g. 2/8), found {s:?}"
            )
        };
        let (k, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let k: u32 = k.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n || n > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index: k, count: n })
    }

    /// Whether item `i` (0-based) belongs to this shard.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count as usize == (self.index - 1) as usize
    }

    /// `K/N`.
    pub fn text(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

/// Checks that the folders `shards` (each with the shard it holds; `None`: a whole run, 1/1)
/// hold every shard of `count` exactly once.
///
/// # Errors
/// A message naming a shard given twice (with both folders) or the shards missing.
pub fn check_complete(
    shards: &[(&std::path::Path, Option<Shard>)],
    count: u32,
) -> Result<(), String> {
    let mut seen: Vec<Option<&std::path::Path>> = vec![None; count as usize];
    for &(d, s) in shards {
        let k = s.map_or(1, |s| s.index);
        let slot = seen
            .get_mut((k - 1) as usize)
            .ok_or_else(|| format!("{}: shard {k} of {count} is out of range", d.display()))?;
        if let Some(other) = slot {
            return Err(format!(
                "shard {k}/{count} is given twice: {} and {}",
                other.display(),
                d.display()
            ));
        }
        *slot = Some(d);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "missing shard(s) {}: run them with --shard and name every folder",
            missing.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_split_round_robin() {
        let s = Shard::parse("2/3").unwrap();
        assert_eq!((s.index, s.count), (2, 3));
        let mine: Vec<usize> = (0..8).filter(|&i| s.owns(i)).collect();
        assert_eq!(mine, [1, 4, 7]);
        // Every item has exactly one owner.
        for i in 0..50 {
            let owners = (1..=3)
                .filter(|&k| Shard { index: k, count: 3 }.owns(i))
                .count();
            assert_eq!(owners, 1);
        }
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", "1/100001", ""] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(e.contains("expected a shard as K/N"), "{bad}: {e}");
        }
        assert_eq!(Shard::parse(" 1/1 ").unwrap().text(), "1/1");
        let p = std::path::Path::new;
        let sh = |k| Some(Shard { index: k, count: 3 });
        assert!(check_complete(&[(p("a"), sh(1)), (p("b"), sh(3)), (p("c"), sh(2))], 3).is_ok());
        let e = check_complete(&[(p("a"), sh(1)), (p("b"), sh(1))], 3).unwrap_err();
        assert!(e.contains("shard 1/3 is given twice: a and b"), "{e}");
        let e = check_complete(&[(p("a"), sh(2))], 3).unwrap_err();
        assert!(e.contains("missing shard(s) 1/3, 3/3"), "{e}");
        assert!(check_complete(&[(p("a"), None)], 1).is_ok());
    }
}
