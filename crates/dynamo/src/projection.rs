//! ProjectionExpression: which (possibly nested) attributes of an item to return.

use crate::{Error, Item, Substitutions};

#[derive(Debug, Clone)]
pub struct Projection {
    names: Vec<String>,
}

impl Projection {
    pub fn parse(_text: &str, _subs: &mut Substitutions) -> Result<Projection, Error> {
        Err(Error::new("ProjectionExpression is not implemented yet"))
    }

    pub fn apply(&self, item: &Item) -> Item {
        item.clone()
    }

    pub fn attribute_names(&self) -> Vec<String> {
        self.names.clone()
    }
}
