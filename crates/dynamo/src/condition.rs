//! ConditionExpression and FilterExpression: parse once, evaluate against items.

use crate::{Error, Item, Substitutions};

#[derive(Debug, Clone)]
pub struct Condition {
    names: Vec<String>,
}

impl Condition {
    pub fn parse(_text: &str, _subs: &mut Substitutions) -> Result<Condition, Error> {
        Err(Error::new("ConditionExpression is not implemented yet"))
    }

    pub fn eval(&self, _item: &Item) -> Result<bool, Error> {
        Ok(false)
    }

    pub fn attribute_names(&self) -> Vec<String> {
        self.names.clone()
    }
}
