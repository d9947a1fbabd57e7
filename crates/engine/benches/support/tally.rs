//! What every driver returns, so a run can be checked and cannot be optimised away.

/// Events found and the total length of their data.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub events: u64,
    pub data_bytes: u64,
}

impl Tally {
    /// Counts one event whose data is `data_len` bytes long.
    #[inline]
    pub fn event(&mut self, data_len: usize) {
        self.events += 1;
        self.data_bytes += data_len as u64;
    }
}
