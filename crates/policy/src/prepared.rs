//! A request made ready for matching, once per decision: the action lowercased and split,
//! the resource split into its six ARN components. Nothing here allocates for an ASCII action
//! of at most 80 bytes (every AWS action name): the lowercased text lives in a buffer on the
//! caller's stack.

use crate::arn::split6;
use crate::context::key_hash;

/// Longer than any AWS action name; longer ones are lowercased on the heap.
pub(crate) const INLINE: usize = 80;

/// Storage for the lowercased action, owned by the caller of [`Prepared::new`].
pub(crate) struct ActionBuf {
    inline: [u8; INLINE],
    heap: String,
}

impl ActionBuf {
    pub(crate) fn new() -> ActionBuf {
        ActionBuf {
            inline: [0; INLINE],
            heap: String::new(),
        }
    }
}

pub(crate) struct Prepared<'a> {
    /// The whole action, lowercased.
    pub(crate) action: &'a str,
    /// The lowercased service prefix and action name (`None` without a colon).
    pub(crate) split: Option<(&'a str, &'a str)>,
    /// The service (the whole action without a colon) and the name, with their hashes, for
    /// the compiled policies' action index.
    pub(crate) service: &'a str,
    pub(crate) name: &'a str,
    pub(crate) service_hash: u64,
    pub(crate) name_hash: u64,
    pub(crate) resource: &'a str,
    pub(crate) resource_parts: Option<[&'a str; 6]>,
}

impl<'a> Prepared<'a> {
    pub(crate) fn new(action: &str, resource: &'a str, buf: &'a mut ActionBuf) -> Prepared<'a> {
        let lower: &'a str = if action.is_ascii() && action.len() <= INLINE {
            let out = &mut buf.inline[..action.len()];
            for (d, s) in out.iter_mut().zip(action.bytes()) {
                *d = s.to_ascii_lowercase();
            }
            // Lowercased ASCII is still ASCII, hence UTF-8.
            std::str::from_utf8(out).unwrap_or("")
        } else {
            buf.heap = action.to_lowercase();
            &buf.heap
        };
        let split = lower.split_once(':');
        let (service, name) = split.unwrap_or((lower, ""));
        Prepared {
            action: lower,
            split,
            service,
            name,
            service_hash: key_hash(service),
            name_hash: key_hash(name),
            resource,
            resource_parts: split6(resource),
        }
    }
}
