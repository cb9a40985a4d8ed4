//! UpdateExpression: SET, REMOVE, ADD and DELETE clauses, applied to a copy of an item.

use crate::{Error, Item, Substitutions};

#[derive(Debug, Clone)]
pub struct Update {
    names: Vec<String>,
}

impl Update {
    pub fn parse(_text: &str, _subs: &mut Substitutions) -> Result<Update, Error> {
        Err(Error::new("UpdateExpression is not implemented yet"))
    }

    /// Applies to a copy; returns the new item and the top-level names it changed.
    pub fn apply(&self, item: &Item) -> Result<(Item, Vec<String>), Error> {
        Ok((item.clone(), Vec::new()))
    }

    pub fn attribute_names(&self) -> Vec<String> {
        self.names.clone()
    }
}
