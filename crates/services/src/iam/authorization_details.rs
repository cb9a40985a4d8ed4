//! (being written)

use super::Handler;

pub(crate) const OPS: &[(&str, Handler)] = &[];
