//! Rules for single path components, shared by the path walk and the file
//! systems (so a direct `create` call gets the same answers as a syscall).

use ringo_uapi::Errno;
use ringo_uapi::fs::NAME_MAX;

pub fn is_dot_or_dotdot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

/// A name being looked up: too long is ENAMETOOLONG before anything else.
pub fn check_lookup_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// A name a new entry is given: additionally `.` and `..` already exist.
pub fn check_new_name(name: &[u8]) -> Result<(), Errno> {
    check_lookup_name(name)?;
    if is_dot_or_dotdot(name) {
        return Err(Errno::EEXIST);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_rules() {
        assert_eq!(check_new_name(b"a"), Ok(()));
        assert_eq!(check_new_name(&[b'x'; 255]), Ok(()));
        assert_eq!(check_new_name(&[b'x'; 256]), Err(Errno::ENAMETOOLONG));
        assert_eq!(check_new_name(b""), Err(Errno::ENOENT));
        assert_eq!(check_new_name(b".."), Err(Errno::EEXIST));
        assert_eq!(check_new_name(b"a/b"), Err(Errno::EINVAL));
        assert_eq!(check_lookup_name(b".."), Ok(()));
        assert_eq!(check_new_name(b"\xff\xfe"), Ok(()), "names are bytes, not UTF-8");
    }
}
