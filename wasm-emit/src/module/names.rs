//! Function names to indices, looked up without printing the names.
//!
//! Functions are keyed by their CLIF names as printed (`u0:12`, `%name`), since that is how
//! layouts, imports and exports name them. Every call resolves its callee's name, and a
//! module can have a hundred thousand functions: printing the callee's `ExternalName`
//! and hashing the text per call dominated large modules. So a printed user name is kept
//! under its two numbers and a test-case name under its bytes, which is exactly what an
//! `ExternalName` holds; any other key stays text.

use cranelift_codegen::ir::{self, ExternalName};
use rustc_hash::FxHashMap;

/// A map from CLIF function names to `u32`s.
#[derive(Default)]
pub struct NameIndex {
    /// `u<namespace>:<index>` by its numbers.
    user: FxHashMap<(u32, u32), u32>,
    /// `%name` by the bytes after the `%`.
    testcase: FxHashMap<NameBytes, u32>,
    /// Any other name, as text.
    other: FxHashMap<Box<str>, u32>,
}

/// A name's bytes, in place when short (most are): a lookup then reads no other memory
/// than the table's, and a module's many names cost no allocation each.
#[derive(Clone)]
enum NameBytes {
    Short { len: u8, bytes: [u8; SHORT] },
    Long(Box<[u8]>),
}

/// The longest name kept in place.
const SHORT: usize = 22;

impl NameBytes {
    fn new(bytes: &[u8]) -> NameBytes {
        if bytes.len() <= SHORT {
            let mut short = [0; SHORT];
            short[..bytes.len()].copy_from_slice(bytes);
            NameBytes::Short {
                len: bytes.len() as u8,
                bytes: short,
            }
        } else {
            NameBytes::Long(bytes.into())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            NameBytes::Short { len, bytes } => &bytes[..*len as usize],
            NameBytes::Long(bytes) => bytes,
        }
    }
}

// Hashed and compared as the bytes, so that a table of them is searched by `&[u8]`.
impl std::hash::Hash for NameBytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialEq for NameBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for NameBytes {}

impl std::borrow::Borrow<[u8]> for NameBytes {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// How a printed name is stored.
enum Key<'a> {
    User(u32, u32),
    TestCase(&'a [u8]),
    Other(&'a str),
}

fn key(name: &str) -> Key<'_> {
    if let Some((namespace, index)) = user_name_numbers(name) {
        Key::User(namespace, index)
    } else if let Some(rest) = name.strip_prefix('%') {
        Key::TestCase(rest.as_bytes())
    } else {
        Key::Other(name)
    }
}

impl NameIndex {
    /// Map the printed name `name` to `value`; the value it had before, if any.
    pub fn insert(&mut self, name: &str, value: u32) -> Option<u32> {
        match key(name) {
            Key::User(namespace, index) => self.user.insert((namespace, index), value),
            Key::TestCase(bytes) => self.testcase.insert(NameBytes::new(bytes), value),
            Key::Other(text) => self.other.insert(text.into(), value),
        }
    }

    /// Map the function name `name` to `value` without printing it (the key is the one
    /// its printed form maps to); the value it had before, if any.
    pub fn insert_func(&mut self, name: &ir::UserFuncName, value: u32) -> Option<u32> {
        match name {
            ir::UserFuncName::User(user) => self.user.insert((user.namespace, user.index), value),
            ir::UserFuncName::Testcase(name) => {
                self.testcase.insert(NameBytes::new(name.raw()), value)
            }
        }
    }

    /// The value of the printed name `name`.
    pub fn get(&self, name: &str) -> Option<u32> {
        match key(name) {
            Key::User(namespace, index) => self.user.get(&(namespace, index)),
            Key::TestCase(bytes) => self.testcase.get(bytes),
            Key::Other(text) => self.other.get(text),
        }
        .copied()
    }

    /// The value of the callee `name` of `func`, looked up as it would be printed; `None`
    /// also for names that print otherwise (libcalls, known symbols, undeclared user
    /// names), which the caller resolves by their printed form.
    pub fn get_external(&self, func: &ir::Function, name: &ExternalName) -> Option<u32> {
        match name {
            ExternalName::User(r) => {
                let name = func.params.user_named_funcs().get(*r)?;
                self.user.get(&(name.namespace, name.index)).copied()
            }
            ExternalName::TestCase(name) => self.testcase.get(name.raw()).copied(),
            _ => None,
        }
    }
}

/// The numbers of a CLIF user name `u<namespace>:<index>` as CLIF prints it (decimal,
/// no leading zeros), so that a name maps to one key however it is found.
fn user_name_numbers(name: &str) -> Option<(u32, u32)> {
    let (namespace, index) = name.strip_prefix('u')?.split_once(':')?;
    let number = |s: &str| {
        let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let canonical = s == "0" || !s.starts_with('0');
        (digits && canonical)
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    Some((number(namespace)?, number(index)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::UserExternalName;

    #[test]
    fn printed_and_external_names_agree() {
        let mut func = ir::Function::new();
        let user = func
            .params
            .ensure_user_func_name(UserExternalName::new(3, 17));
        let mut index = NameIndex::default();
        assert_eq!(index.insert("u3:17", 1), None);
        assert_eq!(index.insert("%callee", 2), None);
        assert_eq!(index.insert("plain", 3), None);
        assert_eq!(index.insert("u3:17", 4), Some(1), "same key, replaced");
        let func_name = ir::UserFuncName::user(3, 17);
        assert_eq!(
            index.insert_func(&func_name, 4),
            Some(4),
            "unprinted, same key"
        );
        let func_name = ir::UserFuncName::testcase("callee");
        assert_eq!(
            index.insert_func(&func_name, 2),
            Some(2),
            "unprinted, same key"
        );
        assert_eq!(
            index.get_external(&func, &ExternalName::User(user)),
            Some(4)
        );
        let testcase = ExternalName::testcase("callee");
        assert_eq!(index.get_external(&func, &testcase), Some(2));
        assert_eq!(index.get("plain"), Some(3));
        // Not canonical user names stay text, as they never print that way.
        assert_eq!(index.insert("u03:17", 5), None);
        assert_eq!(index.get("u3:17"), Some(4));
        assert_eq!(index.get("u03:17"), Some(5));
        // Long names are kept out of place, and found the same way.
        let long = "a_function_name_longer_than_twenty_two_bytes";
        assert_eq!(index.insert(&format!("%{long}"), 6), None);
        let testcase = ExternalName::testcase(long);
        assert_eq!(index.get_external(&func, &testcase), Some(6));
    }
}
