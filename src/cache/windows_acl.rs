//! Owner-only access control on Windows: the analogue of the cache's 0700 directory and
//! 0600 files on Unix.
//!
//! Why `unsafe`: Windows exposes a file's access control list only through the Win32
//! security API — C functions that fill raw pointers with self-describing, variable-length
//! structures (SIDs, ACLs, ACEs, security descriptors) the caller walks and frees. std has
//! no safe wrapper for them. All of the crate's raw-pointer work for this lives in this
//! module; each call says why it is sound.
//!
//! What [`make_private`] sets: a *protected* DACL (nothing inherited from the parent)
//! with one entry, full control for the current user; on a directory that entry is
//! inherited by everything created inside it.
//!
//! What [`other_reader`] checks: every allow entry of the DACL that applies to the object
//! itself and grants reading (or the right to rewrite the DACL or the owner, which gives
//! reading) must name the current user, `SYSTEM` or the `Administrators` group — the rule
//! OpenSSH for Windows applies to private keys, and what a profile directory's own DACL
//! holds. No DACL at all (everyone has access) fails. Deny entries are not credited: a
//! check that might refuse a private file never accepts an exposed one.
//!
//! Under Wine the check is not made ([`under_wine`]): Wine keeps no ACLs on a Unix
//! filesystem, it maps a DACL to the file's mode bits and back, so an owner-only DACL
//! reads back as readable by the group and Everyone and every cache would be refused.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_SUCCESS, GENERIC_ALL, GENERIC_READ, HANDLE, LocalFree, WIN32_ERROR,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, GetNamedSecurityInfoW, SE_FILE_OBJECT, SetNamedSecurityInfoW,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, ACL_REVISION, AddAccessAllowedAceEx,
    CONTAINER_INHERIT_ACE, DACL_SECURITY_INFORMATION, GetAce, GetLengthSid, GetTokenInformation,
    INHERIT_ONLY_ACE, InitializeAcl, IsWellKnownSid, OBJECT_INHERIT_ACE,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, TOKEN_QUERY, TOKEN_USER,
    TokenUser, WinBuiltinAdministratorsSid, WinLocalSystemSid,
};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_ALL_ACCESS, FILE_READ_DATA, WRITE_DAC, WRITE_OWNER,
};
use windows_sys::Win32::System::SystemServices::{
    ACCESS_ALLOWED_ACE_TYPE, ACCESS_ALLOWED_CALLBACK_ACE_TYPE,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// Rights that let a holder read the data (or grant themselves that).
const READ_RIGHTS: u32 = FILE_READ_DATA | GENERIC_READ | GENERIC_ALL | WRITE_DAC | WRITE_OWNER;

/// Gives `path` a protected DACL granting only the current user full control; for a
/// directory (`container`), files and directories created inside inherit it.
pub(super) fn make_private(path: &Path, container: bool) -> io::Result<()> {
    let me = CurrentUser::get()?;
    // SAFETY: `me.sid()` points at a valid SID inside `me`, which outlives this call.
    let sid_len = unsafe { GetLengthSid(me.sid()) } as usize;
    // An ACL header, one ACCESS_ALLOWED_ACE whose last field is the SID's first 4 bytes,
    // then the rest of the SID; u32 elements give the DWORD alignment ACLs need.
    let size = size_of::<ACL>() + size_of::<ACCESS_ALLOWED_ACE>() - size_of::<u32>() + sid_len;
    let mut buf = vec![0u32; size.div_ceil(4)];
    let acl = buf.as_mut_ptr().cast::<ACL>();
    let flags = if container {
        OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE
    } else {
        0
    };
    // SAFETY: `acl` points at `buf`, writable, aligned and as long as the size passed.
    if unsafe { InitializeAcl(acl, (buf.len() * 4) as u32, ACL_REVISION) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `acl` was initialised above with room for exactly this ACE; the SID is valid.
    if unsafe { AddAccessAllowedAceEx(acl, ACL_REVISION, flags, FILE_ALL_ACCESS, me.sid()) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let name = wide(path);
    // SAFETY: `name` is NUL-terminated UTF-16; owner, group and SACL are not being set
    // (null); `acl` is the valid ACL built above and lives until the call returns.
    let status = unsafe {
        SetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            ptr::null_mut(),
            ptr::null_mut(),
            acl,
            ptr::null(),
        )
    };
    win32(status)
}

/// The first account other than the current user, SYSTEM and Administrators that
/// `path`'s DACL lets read it (a name such as `Everyone` or `BUILTIN\Users`, else a SID
/// string), or `None` when the object is private.
pub(super) fn other_reader(path: &Path) -> io::Result<Option<String>> {
    if under_wine() {
        tracing::debug!(path = %path.display(), "Wine maps ACLs to Unix modes: DACL check skipped");
        return Ok(None);
    }
    let name = wide(path);
    let mut dacl: *mut ACL = ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `name` is NUL-terminated UTF-16; the out pointers are valid; only the DACL is
    // requested, so the owner, group and SACL pointers may be null.
    let status = unsafe {
        GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            ptr::null_mut(),
            ptr::null_mut(),
            &mut dacl,
            ptr::null_mut(),
            &mut descriptor,
        )
    };
    win32(status)?;
    // `dacl` points into `descriptor`, which is freed when this guard drops.
    let _descriptor = LocalMemory(descriptor);
    if dacl.is_null() {
        return Ok(Some("Everyone (no access control list)".into()));
    }
    let me = CurrentUser::get()?;
    // SAFETY: a non-null DACL from GetNamedSecurityInfoW is a valid ACL header.
    let count = unsafe { (*dacl).AceCount };
    for index in 0..u32::from(count) {
        let mut ace: *mut c_void = ptr::null_mut();
        // SAFETY: `index` is below the ACL's AceCount; `ace` receives a pointer into the ACL.
        if unsafe { GetAce(dacl, index, &mut ace) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: every ACE starts with an ACE_HEADER.
        let header = unsafe { ptr::read_unaligned(ace.cast::<ACE_HEADER>()) };
        let kind = u32::from(header.AceType);
        if u32::from(header.AceFlags) & INHERIT_ONLY_ACE != 0
            || (kind != ACCESS_ALLOWED_ACE_TYPE && kind != ACCESS_ALLOWED_CALLBACK_ACE_TYPE)
        {
            continue;
        }
        let allowed = ace.cast::<ACCESS_ALLOWED_ACE>();
        // SAFETY: both allow types are laid out as ACCESS_ALLOWED_ACE: header, mask, then
        // the SID starting at `SidStart` and running to the end of the ACE.
        let (mask, sid) = unsafe {
            (
                ptr::read_unaligned(&raw const (*allowed).Mask),
                (&raw const (*allowed).SidStart).cast_mut().cast::<c_void>(),
            )
        };
        if mask & READ_RIGHTS == 0 || me.trusts(sid) {
            continue;
        }
        return Ok(Some(account(sid)));
    }
    Ok(None)
}

/// Whether this is Wine (its ntdll exports `wine_get_version`; Windows' does not).
pub(super) fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
    let ntdll: Vec<u16> = "ntdll.dll".encode_utf16().chain([0]).collect();
    // SAFETY: both names are NUL-terminated; ntdll is loaded in every process and the
    // handle GetModuleHandleW returns needs no release.
    unsafe {
        let module = GetModuleHandleW(ntdll.as_ptr());
        !module.is_null() && GetProcAddress(module, c"wine_get_version".as_ptr().cast()).is_some()
    }
}

/// The current process's user (its token's `TokenUser`).
struct CurrentUser {
    /// A TOKEN_USER and the SID it points to; u64 elements give TOKEN_USER's alignment.
    buf: Vec<u64>,
}

impl CurrentUser {
    fn get() -> io::Result<Self> {
        let mut token: HANDLE = ptr::null_mut();
        // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing;
        // `token` is a valid out pointer.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let token = OwnedHandle(token);
        let mut len = 0u32;
        // SAFETY: a null buffer of length 0 only asks for the size needed (the call
        // "fails" with ERROR_INSUFFICIENT_BUFFER and sets `len`).
        unsafe { GetTokenInformation(token.0, TokenUser, ptr::null_mut(), 0, &mut len) };
        if len == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buf = vec![0u64; (len as usize).div_ceil(8)];
        // SAFETY: `buf` is writable for at least `len` bytes and 8-byte aligned.
        if unsafe {
            GetTokenInformation(token.0, TokenUser, buf.as_mut_ptr().cast(), len, &mut len)
        } == 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(CurrentUser { buf })
    }

    fn sid(&self) -> PSID {
        // SAFETY: `buf` starts with the TOKEN_USER GetTokenInformation wrote; its SID
        // pointer points into `buf` too, so it is valid while `self` lives.
        unsafe { (*self.buf.as_ptr().cast::<TOKEN_USER>()).User.Sid }
    }

    /// The user themselves, SYSTEM or Administrators (who can read everything anyway).
    fn trusts(&self, sid: PSID) -> bool {
        // SAFETY: both SIDs are valid for the duration of the calls.
        unsafe {
            windows_sys::Win32::Security::EqualSid(sid, self.sid()) != 0
                || IsWellKnownSid(sid, WinLocalSystemSid) != 0
                || IsWellKnownSid(sid, WinBuiltinAdministratorsSid) != 0
        }
    }
}

/// `DOMAIN\name` for a SID, else its `S-1-...` string.
fn account(sid: PSID) -> String {
    let (mut name, mut domain) = ([0u16; 256], [0u16; 256]);
    let (mut name_len, mut domain_len, mut kind) = (256u32, 256u32, 0);
    // SAFETY: the buffers are writable for the lengths passed; `sid` is valid.
    let found = unsafe {
        windows_sys::Win32::Security::LookupAccountSidW(
            ptr::null(),
            sid,
            name.as_mut_ptr(),
            &mut name_len,
            domain.as_mut_ptr(),
            &mut domain_len,
            &mut kind,
        )
    } != 0;
    if found {
        let name = String::from_utf16_lossy(&name[..name_len as usize]);
        let domain = String::from_utf16_lossy(&domain[..domain_len as usize]);
        return if domain.is_empty() {
            name
        } else {
            format!("{domain}\\{name}")
        };
    }
    let mut text: *mut u16 = ptr::null_mut();
    // SAFETY: `sid` is valid; on success `text` is a NUL-terminated LocalAlloc'd string.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 || text.is_null() {
        return "an unknown account".into();
    }
    let _text = LocalMemory(text.cast());
    // SAFETY: `text` is NUL-terminated; the length is found before the slice is made.
    unsafe {
        let len = (0..).take_while(|&i| *text.add(i) != 0).count();
        String::from_utf16_lossy(std::slice::from_raw_parts(text, len))
    }
}

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain([0]).collect()
}

fn win32(status: WIN32_ERROR) -> io::Result<()> {
    if status == ERROR_SUCCESS {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(status as i32))
    }
}

/// Closes a handle on drop.
struct OwnedHandle(HANDLE);

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        // SAFETY: the handle came from OpenProcessToken and is closed only here.
        unsafe { CloseHandle(self.0) };
    }
}

/// Frees memory the security API allocated with LocalAlloc.
struct LocalMemory(*mut c_void);

impl Drop for LocalMemory {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from the API that allocated it and is freed once.
            unsafe { LocalFree(self.0) };
        }
    }
}

/// Test support: lets Everyone read `path` (and, with `inherit`, what is created inside
/// it), as a careless `icacls /grant` would.
#[cfg(test)]
pub(super) fn grant_everyone_read(path: &Path, inherit: bool) -> io::Result<()> {
    use windows_sys::Win32::Security::{CreateWellKnownSid, SECURITY_MAX_SID_SIZE, WinWorldSid};
    let me = CurrentUser::get()?;
    let mut everyone = [0u64; (SECURITY_MAX_SID_SIZE as usize).div_ceil(8)];
    let mut everyone_len = SECURITY_MAX_SID_SIZE;
    let everyone_sid: PSID = everyone.as_mut_ptr().cast();
    // SAFETY: the buffer holds SECURITY_MAX_SID_SIZE bytes; no domain SID is needed.
    if unsafe {
        CreateWellKnownSid(
            WinWorldSid,
            ptr::null_mut(),
            everyone_sid,
            &mut everyone_len,
        )
    } == 0
    {
        return Err(io::Error::last_os_error());
    }
    let flags = if inherit {
        OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE
    } else {
        0
    };
    let mut buf = vec![0u32; 256];
    let acl = buf.as_mut_ptr().cast::<ACL>();
    // SAFETY: `acl` points at 1 KiB of aligned, writable memory: room for two ACEs; the
    // SIDs are valid; `name` is NUL-terminated.
    unsafe {
        if InitializeAcl(acl, (buf.len() * 4) as u32, ACL_REVISION) == 0
            || AddAccessAllowedAceEx(acl, ACL_REVISION, flags, FILE_ALL_ACCESS, me.sid()) == 0
            || AddAccessAllowedAceEx(acl, ACL_REVISION, flags, GENERIC_READ, everyone_sid) == 0
        {
            return Err(io::Error::last_os_error());
        }
        let name = wide(path);
        win32(SetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            ptr::null_mut(),
            ptr::null_mut(),
            acl,
            ptr::null(),
        ))
    }
}
