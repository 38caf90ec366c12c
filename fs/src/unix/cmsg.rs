//! Control messages (cmsghdr chains, x86-64 layout) as sendmsg reads and
//! recvmsg writes them, with Linux's rules (net/core/scm.c): a header whose
//! length is below 16 or past the buffer is EINVAL, other levels than
//! SOL_SOCKET are skipped, SCM_RIGHTS gathers at most SCM_MAX_FD
//! descriptors over all its messages (more is EINVAL), SCM_CREDENTIALS
//! must be exactly a `struct ucred`, any other type is EINVAL.

use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::net::{Cmsghdr, SCM_CREDENTIALS, SCM_MAX_FD, SCM_RIGHTS, SOL_SOCKET, Ucred};

/// What a sendmsg's control buffer asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Control {
    /// The descriptors to pass, in order (the kernel checks each: EBADF).
    pub rights: Vec<i32>,
    pub creds: Option<Ucred>,
}

/// Parses a control buffer (msg_control, msg_controllen bytes).
pub fn parse(control: &[u8]) -> Result<Control, Errno> {
    let mut out = Control::default();
    let mut at = 0usize;
    // CMSG_FIRSTHDR / CMSG_NXTHDR: a header exists while 16 bytes remain.
    while control.len().saturating_sub(at) >= Cmsghdr::SIZE {
        let Some(h) = Cmsghdr::from_bytes(&control[at..]) else { break };
        let len = usize::try_from(h.len).map_err(|_| Errno::EINVAL)?;
        if len < Cmsghdr::SIZE || len > control.len() - at {
            return Err(Errno::EINVAL);
        }
        let data = &control[at + Cmsghdr::SIZE..at + len];
        if h.level == SOL_SOCKET {
            match h.ty {
                SCM_RIGHTS => {
                    let n = data.len() / 4;
                    if n > SCM_MAX_FD || out.rights.len() + n > SCM_MAX_FD {
                        return Err(Errno::EINVAL);
                    }
                    out.rights.try_reserve(n).map_err(|_| Errno::ENOMEM)?;
                    for fd in data.chunks_exact(4) {
                        out.rights.push(i32::from_ne_bytes([fd[0], fd[1], fd[2], fd[3]]));
                    }
                }
                SCM_CREDENTIALS => {
                    if data.len() != 12 {
                        return Err(Errno::EINVAL);
                    }
                    let word = |i: usize| [data[i], data[i + 1], data[i + 2], data[i + 3]];
                    out.creds = Some(Ucred {
                        pid: i32::from_ne_bytes(word(0)),
                        uid: u32::from_ne_bytes(word(4)),
                        gid: u32::from_ne_bytes(word(8)),
                    });
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        match at.checked_add(Cmsghdr::align(len)) {
            Some(next) => at = next,
            None => break,
        }
    }
    Ok(out)
}

/// How many descriptors fit in `room` bytes of a recvmsg control buffer
/// (scm_max_fds).
pub fn max_fds(room: usize) -> usize {
    if room <= Cmsghdr::SIZE { 0 } else { (room - Cmsghdr::SIZE) / 4 }
}

/// The SCM_RIGHTS message a recvmsg writes for the descriptors it
/// installed (`fds`, at most [`max_fds`] of the room).
pub struct RightsReply {
    /// Header and descriptors (no trailing padding is written, as on Linux).
    pub bytes: Vec<u8>,
    /// What the message uses of msg_controllen: CMSG_SPACE, cut to the room.
    pub used: usize,
    /// MSG_CTRUNC: descriptors were dropped for want of room.
    pub truncated: bool,
}

/// Builds the reply for `fds` installed out of `sent` passed, in `room`.
pub fn rights_reply(fds: &[i32], sent: usize, room: usize) -> Result<RightsReply, Errno> {
    let truncated = fds.len() < sent || (sent > 0 && max_fds(room) == 0);
    if fds.is_empty() {
        return Ok(RightsReply { bytes: Vec::new(), used: 0, truncated });
    }
    let data = fds.len() * 4;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(Cmsghdr::SIZE + data).map_err(|_| Errno::ENOMEM)?;
    let h = Cmsghdr { len: Cmsghdr::len_for(data) as u64, level: SOL_SOCKET, ty: SCM_RIGHTS };
    bytes.extend_from_slice(&h.to_bytes());
    for fd in fds {
        bytes.extend_from_slice(&fd.to_ne_bytes());
    }
    Ok(RightsReply { bytes, used: Cmsghdr::space_for(data).min(room), truncated })
}
