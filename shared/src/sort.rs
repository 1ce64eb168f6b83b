//! One compiled sort for every element type.
//!
//! Each `sort_by` instance is ~4 KB of wasm, one per element type and comparison; these helpers
//! sort positions with a single instance and then move the elements, so the browser's bundle
//! carries the sort once.

use std::cmp::Ordering;

/// Sorts `items` stably by `compare`.
pub fn sort_by<T>(items: &mut [T], compare: &dyn Fn(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_positions(&mut order, &|a, b| compare(&items[a], &items[b]));
    // Applies the permutation in place: position `i` receives the element first at `order[i]`;
    // one already moved is found by following where it went.
    for i in 0..order.len() {
        let mut from = order[i];
        while from < i {
            from = order[from];
        }
        items.swap(i, from);
    }
}

/// Sorts `items` stably by their own order.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, &T::cmp);
}

fn sort_positions(order: &mut [usize], compare: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_standard_stable_sort() {
        let mut seed: u32 = 7;
        for len in [0_usize, 1, 2, 3, 10, 100, 1000] {
            let items: Vec<(u32, usize)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16 & 15, i)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|e| e.0);
            let mut sorted = items;
            sort_by(&mut sorted, &|a, b| a.0.cmp(&b.0));
            assert_eq!(sorted, expected, "{len}");
        }
        let mut words = vec!["b", "a", "c", "a"];
        sort(&mut words);
        assert_eq!(words, vec!["a", "a", "b", "c"]);
    }
}
