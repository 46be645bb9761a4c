//! [`Path`]: where the reader is in the document, spelled out only for a warning.
//!
//! Almost every value read is valid, so formatting the path of each one up front was wasted
//! work; a path here is a chain of borrowed segments that becomes text on demand.

use std::fmt;

/// A slash-separated document path, e.g. `aspects/capacity/factors`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: &'a str,
}

impl<'a> Path<'a> {
    /// The path of a root type.
    pub(crate) fn root(name: &'a str) -> Self {
        Path {
            parent: None,
            segment: name,
        }
    }

    /// This path followed by one more segment.
    pub(crate) fn join(&'a self, segment: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment,
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}/")?;
        }
        f.write_str(self.segment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_segments_with_slashes() {
        let root = Path::root("aspects");
        let aspect = root.join("capacity");
        assert_eq!(
            aspect.join("factors").to_string(),
            "aspects/capacity/factors"
        );
        assert_eq!(root.to_string(), "aspects");
        assert_eq!(Path::root("a").join("").join("b").to_string(), "a//b");
    }
}
