//! [`Shared`]: an entity held behind an `Arc`, copied only when written.
//!
//! The account maps (`crate::model::Map`) are persistent B-trees whose nodes hold their
//! values inline, 64 to a node; entities of several hundred bytes made nodes of tens of KiB,
//! built on the stack (a stack overflow in debug builds) and copied whole on every write. Behind
//! an `Arc` a node is small, copying a path copies pointers, and an unchanged entity compares
//! equal by pointer. `DerefMut` copies the entity out first if another version shares it
//! (`Arc::make_mut`), so handlers mutate through `get_mut` as they would a plain map value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Shared<V>(Arc<V>);

impl<V> Shared<V> {
    pub fn new(v: V) -> Shared<V> {
        Shared(Arc::new(v))
    }
}

impl<V> Clone for Shared<V> {
    fn clone(&self) -> Shared<V> {
        Shared(self.0.clone())
    }
}

impl<V> From<V> for Shared<V> {
    fn from(v: V) -> Shared<V> {
        Shared::new(v)
    }
}

impl<V> Deref for Shared<V> {
    type Target = V;
    fn deref(&self) -> &V {
        &self.0
    }
}

impl<V: Clone> DerefMut for Shared<V> {
    fn deref_mut(&mut self) -> &mut V {
        Arc::make_mut(&mut self.0)
    }
}

impl<V: PartialEq> PartialEq for Shared<V> {
    fn eq(&self, other: &Shared<V>) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl<V: Serialize> Serialize for Shared<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Shared<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shared<V>, D::Error> {
        V::deserialize(d).map(Shared::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_copies_only_a_shared_value() {
        let a = Shared::new(vec![1]);
        let mut b = a.clone();
        assert!(Arc::ptr_eq(&a.0, &b.0));
        b.push(2);
        assert_eq!((&*a, &*b), (&vec![1], &vec![1, 2]));
        let mut c = Shared::new(vec![3]);
        let before = Arc::as_ptr(&c.0);
        c.push(4);
        assert_eq!(
            before,
            Arc::as_ptr(&c.0),
            "an unshared value is written in place"
        );
    }
}
