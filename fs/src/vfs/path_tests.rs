//! Path resolution and the path-taking calls, against ramfs.

use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::{
    O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, RENAME_EXCHANGE,
    RENAME_NOREPLACE, makedev,
};

use super::test_support::{World, contents, ramfs};
use super::*;

fn id(node: &Arc<dyn Inode>) -> NodeId {
    node.node_id()
}

fn c() -> Creation {
    Creation::new(0o755, 0, 0)
}

fn tree() -> World {
    let w = World::new();
    w.mkdir("/a");
    w.mkdir("/a/b");
    w.file("/a/b/f", b"data");
    w
}

#[test]
fn components_dots_and_slashes() {
    let w = tree();
    let f = id(&w.resolve("/a/b/f").expect("abs"));
    for path in ["a/b/f", "//a///b/./f", "/a/b/../b/f", "./a/./b/f", "/../../a/b/f", "a/../a/b/f"] {
        assert_eq!(w.resolve(path).map(|n| id(&n)), Ok(f), "{path}");
    }
    assert_eq!(w.resolve("/").map(|n| id(&n)), Ok(id(&w.root)));
    assert_eq!(w.resolve("/..").map(|n| id(&n)), Ok(id(&w.root)), ".. at the root stays there");
    assert_eq!(w.resolve(".").map(|n| id(&n)), Ok(id(&w.root)));
    assert_eq!(w.resolve("a/b/").map(|n| n.kind()), Ok(InodeKind::Dir));
}

#[test]
fn error_cases() {
    let w = tree();
    assert_eq!(w.resolve("").err(), Some(Errno::ENOENT));
    assert_eq!(w.resolve("/a/b/f/").err(), Some(Errno::ENOTDIR), "trailing slash on a file");
    assert_eq!(w.resolve("/a/b/f/.").err(), Some(Errno::ENOTDIR));
    assert_eq!(w.resolve("/a/b/f/x").err(), Some(Errno::ENOTDIR));
    assert_eq!(w.resolve("/a/nope/f").err(), Some(Errno::ENOENT));
    assert_eq!(w.resolve("/a/nope").err(), Some(Errno::ENOENT));
    let long_name = "x".repeat(256);
    assert_eq!(w.resolve(&long_name).err(), Some(Errno::ENAMETOOLONG));
    assert_eq!(w.resolve(&"x".repeat(255)).err(), Some(Errno::ENOENT));
    let long_path = "a/".repeat(2048);
    assert_eq!(long_path.len(), 4096);
    assert_eq!(w.resolve(&long_path).err(), Some(Errno::ENAMETOOLONG));
    // 4095 bytes is allowed: a deep walk of "./" ends at the root.
    let ok = format!("{}.", "./".repeat(2047));
    assert_eq!(ok.len(), 4095);
    assert_eq!(w.resolve(&ok).map(|n| id(&n)), Ok(id(&w.root)));
}

#[test]
fn symlinks_absolute_relative_and_chained() {
    let w = tree();
    let ctx = w.ctx();
    let f = id(&w.resolve("/a/b/f").expect("f"));
    ctx.symlink(b"/a/b/f", b"/abs", 0, 0).expect("abs link");
    ctx.symlink(b"b/f", b"/a/rel", 0, 0).expect("rel link");
    ctx.symlink(b"../rel", b"/a/b/chain", 0, 0).expect("chain");
    ctx.symlink(b"/a/b", b"/dirlink", 0, 0).expect("dir link");
    for path in ["/abs", "/a/rel", "/a/b/chain", "/dirlink/f", "dirlink/../b/f"] {
        assert_eq!(w.resolve(path).map(|n| id(&n)), Ok(f), "{path}");
    }
    // Not following the final link gives the link itself.
    let link = ctx.resolve(b"/abs", false).expect("nofollow");
    assert_eq!(link.kind(), InodeKind::Symlink);
    assert_eq!(ctx.readlink(b"/a/rel"), Ok(b"b/f".to_vec()));
    assert_eq!(ctx.readlink(b"/a/b/f"), Err(Errno::EINVAL));
    // A trailing slash forces following a link to a directory.
    assert_eq!(ctx.resolve(b"/dirlink/", false).map(|n| n.kind()), Ok(InodeKind::Dir));
    assert_eq!(ctx.resolve(b"/dirlink", false).map(|n| n.kind()), Ok(InodeKind::Symlink));
    // `..` after a link to a directory is that directory's parent.
    assert_eq!(w.resolve("/dirlink/..").map(|n| id(&n)), w.resolve("/a").map(|n| id(&n)));
    ctx.symlink(b"/nowhere", b"/dangling", 0, 0).expect("dangling");
    assert_eq!(w.resolve("/dangling").err(), Some(Errno::ENOENT));
    assert_eq!(ctx.resolve(b"/dangling", false).map(|n| n.kind()), Ok(InodeKind::Symlink));
}

#[test]
fn symlink_loops_and_the_forty_link_limit() {
    let w = World::new();
    let ctx = w.ctx();
    ctx.symlink(b"loop2", b"/loop1", 0, 0).expect("l1");
    ctx.symlink(b"loop1", b"/loop2", 0, 0).expect("l2");
    assert_eq!(w.resolve("/loop1").err(), Some(Errno::ELOOP));
    assert_eq!(w.resolve("/loop1/x").err(), Some(Errno::ELOOP));
    // l0 -> l1 -> ... -> l40 -> target: following from l1 takes 40 links, from l0 41.
    w.file("/target", b"t");
    ctx.symlink(b"/target", b"/l40", 0, 0).expect("last");
    for i in (0..40).rev() {
        let target = format!("/l{}", i + 1);
        ctx.symlink(target.as_bytes(), format!("/l{i}").as_bytes(), 0, 0).expect("chain");
    }
    assert_eq!(w.resolve("/l1").map(|n| n.kind()), Ok(InodeKind::File));
    assert_eq!(w.resolve("/l0").err(), Some(Errno::ELOOP));
    assert_eq!(ctx.symlink(b"", b"/empty", 0, 0).err(), Some(Errno::ENOENT));
}

#[test]
fn resolve_parent_splits_the_last_component() {
    let w = tree();
    let ctx = w.ctx();
    let p = ctx.resolve_parent(b"/a/b/new").expect("parent");
    assert_eq!(id(&p.dir), id(&w.resolve("/a/b").expect("b")));
    assert_eq!(p.last, Last::Name(b"new".to_vec()));
    assert!(!p.trailing_slash);
    let p = ctx.resolve_parent(b"a/b/").expect("trailing");
    assert_eq!(p.last, Last::Name(b"b".to_vec()));
    assert!(p.trailing_slash);
    assert_eq!(ctx.resolve_parent(b"/").expect("root").last, Last::Root);
    assert_eq!(ctx.resolve_parent(b"a/..").expect("dotdot").last, Last::DotDot);
    assert_eq!(ctx.resolve_parent(b"a/.").expect("dot").last, Last::Dot);
    assert_eq!(ctx.resolve_parent(b"/a/b/f/x").err(), Some(Errno::ENOTDIR));
    assert_eq!(ctx.resolve_parent(b"/missing/x").err(), Some(Errno::ENOENT));
}

#[test]
fn path_of_directories() {
    let w = tree();
    let ctx = w.ctx();
    let b = w.resolve("/a/b").expect("b");
    assert_eq!(ctx.path_of(&b), Ok(b"/a/b".to_vec()));
    assert_eq!(ctx.path_of(&w.root), Ok(b"/".to_vec()));
    assert_eq!(ctx.path_of(&w.resolve("/a/b/f").expect("f")), Err(Errno::ENOTDIR));
    // Renaming a parent renames the path.
    ctx.rename(b"/a", &ctx, b"/z", RenameFlags::NONE).expect("rename");
    assert_eq!(ctx.path_of(&b), Ok(b"/z/b".to_vec()));
    // A removed directory has no path.
    w.mkdir("/gone");
    let gone = w.resolve("/gone").expect("gone");
    ctx.rmdir(b"/gone").expect("rmdir");
    assert_eq!(ctx.path_of(&gone), Err(Errno::ENOENT));
    assert!(gone.is_removed());
    assert_eq!(gone.create(b"x", NewNode::file(0o644)).err(), Some(Errno::ENOENT));
}

#[test]
fn chroot_confines_dotdot_and_paths() {
    let w = tree();
    let jail = w.resolve("/a").expect("a");
    let ctx = PathContext::new(&w.ns, &jail, &jail);
    assert_eq!(ctx.resolve(b"/../../b/f", true).map(|n| n.kind()), Ok(InodeKind::File));
    let b = ctx.resolve(b"/b", true).expect("b");
    assert_eq!(ctx.path_of(&b), Ok(b"/b".to_vec()));
    assert_eq!(ctx.path_of(&w.root), Err(Errno::ENOENT), "outside the root");
}

#[test]
fn mounts_are_crossed_both_ways() {
    let w = tree();
    let ctx = w.ctx();
    w.mkdir("/mnt");
    let other = ramfs();
    other.root().create(b"inside", NewNode::dir(0o755)).expect("inside");
    let point = w.resolve("/mnt").expect("mnt");
    w.ns.mount(&point, other.root()).expect("mount");
    assert_eq!(w.ns.mount(&point, ramfs().root()).err(), Some(Errno::EBUSY));
    let f = w.resolve("/a/b/f").expect("f");
    assert_eq!(w.ns.mount(&f, ramfs().root()).err(), Some(Errno::ENOTDIR));

    let inside = w.resolve("/mnt/inside").expect("crossed into the mount");
    assert_eq!(inside.node_id().dev, other.dev());
    assert_eq!(id(&w.resolve("/mnt").expect("mnt")), id(&other.root()));
    assert_eq!(id(&w.resolve("/mnt/inside/../..").expect("out")), id(&w.root));
    assert_eq!(ctx.path_of(&inside), Ok(b"/mnt/inside".to_vec()));
    let cwd = inside.clone();
    assert_eq!(ctx.at(&cwd).resolve(b"../../a/b/f", true).map(|n| id(&n)), Ok(id(&f)));

    assert_eq!(ctx.rmdir(b"/mnt"), Err(Errno::EBUSY));
    assert_eq!(ctx.rename(b"/mnt", &ctx, b"/mnt2", RenameFlags::NONE), Err(Errno::EBUSY));
    assert_eq!(ctx.rename(b"/a/b/f", &ctx, b"/mnt/f", RenameFlags::NONE), Err(Errno::EXDEV));
    assert_eq!(ctx.link(b"/a/b/f", false, &ctx, b"/mnt/f"), Err(Errno::EXDEV));
    assert_eq!(w.ns.mounts().len(), 1);

    assert_eq!(w.ns.unmount(&*other.root()), Ok(()));
    assert_eq!(w.ns.unmount(&*other.root()), Err(Errno::EINVAL));
    assert_eq!(w.resolve("/mnt/inside").err(), Some(Errno::ENOENT));
}

#[test]
fn open_node_flags() {
    let w = tree();
    let ctx = w.ctx();
    let open = |path: &str, flags: u32| ctx.open_node(path.as_bytes(), OpenFlags(flags), c());

    let made = open("/a/new", O_CREAT | O_WRONLY).expect("create");
    assert!(made.created);
    assert_eq!(made.path, b"/a/new".to_vec());
    assert_eq!(made.node.metadata().perm, 0o755);
    assert!(!open("/a/new", O_CREAT | O_WRONLY).expect("reopen").created);
    assert_eq!(open("/a/new", O_CREAT | O_EXCL | O_WRONLY).err(), Some(Errno::EEXIST));
    assert_eq!(open("/a/missing", O_RDONLY).err(), Some(Errno::ENOENT));
    assert_eq!(open("/a/b/f", O_DIRECTORY).err(), Some(Errno::ENOTDIR));
    assert_eq!(open("/a", O_WRONLY).err(), Some(Errno::EISDIR));
    assert_eq!(open("/a", O_CREAT | O_RDONLY).err(), Some(Errno::EISDIR));
    assert_eq!(open("/a/x/", O_CREAT | O_WRONLY).err(), Some(Errno::EISDIR));
    assert_eq!(open("/a/y", O_CREAT | O_DIRECTORY).err(), Some(Errno::EINVAL));
    assert!(open("/a", O_RDONLY | O_DIRECTORY).is_ok());
    assert_eq!(open("/a/b/../b/f", O_RDONLY).expect("dots").path, b"/a/b/f".to_vec());

    let f = open("/a/b/f", O_RDWR | O_TRUNC).expect("trunc");
    assert_eq!(f.node.metadata().size, 0);

    ctx.symlink(b"/a/created-through-link", b"/a/dangling", 0, 0).expect("link");
    let through = open("/a/dangling", O_CREAT | O_WRONLY).expect("creates the target");
    assert!(through.created);
    assert_eq!(through.path, b"/a/created-through-link".to_vec());
    assert!(w.resolve("/a/created-through-link").is_ok());
    assert_eq!(open("/a/dangling", O_CREAT | O_EXCL | O_WRONLY).err(), Some(Errno::EEXIST));
    assert_eq!(open("/a/dangling", O_NOFOLLOW | O_RDONLY).err(), Some(Errno::ELOOP));
    assert_eq!(open("/a/dangling", O_CREAT | O_NOFOLLOW | O_WRONLY).err(), Some(Errno::ELOOP));
    let path_fd = open("/a/dangling", O_PATH | O_NOFOLLOW).expect("O_PATH on a link");
    assert_eq!(path_fd.node.kind(), InodeKind::Symlink);
}

#[test]
fn mkdir_mknod_symlink_errors() {
    let w = tree();
    let ctx = w.ctx();
    assert_eq!(ctx.mkdir(b"/a", c()).err(), Some(Errno::EEXIST));
    assert_eq!(ctx.mkdir(b"/", c()).err(), Some(Errno::EEXIST));
    assert_eq!(ctx.mkdir(b"/a/..", c()).err(), Some(Errno::EEXIST));
    assert!(ctx.mkdir(b"/a/c/", c()).is_ok(), "mkdir accepts a trailing slash");
    assert_eq!(ctx.mkdir(b"/nope/c", c()).err(), Some(Errno::ENOENT));
    assert_eq!(ctx.mkdir(b"/a/b/f/c", c()).err(), Some(Errno::ENOTDIR));
    assert_eq!(ctx.mknod(b"/a/fifo/", NewKind::Fifo, c()).err(), Some(Errno::ENOENT));
    assert_eq!(ctx.mknod(b"/a/b/f/", NewKind::Fifo, c()).err(), Some(Errno::EEXIST));
    assert_eq!(ctx.mknod(b"/a/d", NewKind::Dir, c()).err(), Some(Errno::EINVAL));
    let dev = ctx.mknod(b"/a/null", NewKind::CharDevice(makedev(1, 3)), c()).expect("mknod");
    assert_eq!(dev.metadata().rdev, makedev(1, 3));
    assert_eq!(dev.kind(), InodeKind::CharDevice);
    assert_eq!(ctx.symlink(b"x", b"/a/b/f", 0, 0).err(), Some(Errno::EEXIST));
    assert_eq!(ctx.symlink(&[b'x'; 4096], b"/a/long", 0, 0).err(), Some(Errno::ENAMETOOLONG));
}

#[test]
fn unlink_and_rmdir_errors() {
    let w = tree();
    let ctx = w.ctx();
    assert_eq!(ctx.unlink(b"/a"), Err(Errno::EISDIR));
    assert_eq!(ctx.unlink(b"/a/b/f/"), Err(Errno::ENOTDIR));
    assert_eq!(ctx.unlink(b"/a/missing"), Err(Errno::ENOENT));
    assert_eq!(ctx.unlink(b"/"), Err(Errno::EISDIR));
    assert_eq!(ctx.rmdir(b"/a"), Err(Errno::ENOTEMPTY));
    assert_eq!(ctx.rmdir(b"/a/b/f"), Err(Errno::ENOTDIR));
    assert_eq!(ctx.rmdir(b"/a/."), Err(Errno::EINVAL));
    assert_eq!(ctx.rmdir(b"/a/.."), Err(Errno::ENOTEMPTY));
    assert_eq!(ctx.rmdir(b"/"), Err(Errno::EBUSY));
    assert_eq!(ctx.unlink(b"/a/b/f"), Ok(()));
    assert_eq!(ctx.rmdir(b"/a/b/"), Ok(()));
    assert_eq!(w.resolve("/a/b").err(), Some(Errno::ENOENT));
    assert_eq!(w.resolve("/a").expect("a").metadata().nlink, 2);
}

#[test]
fn hard_links() {
    let w = tree();
    let ctx = w.ctx();
    ctx.link(b"/a/b/f", false, &ctx, b"/a/g").expect("link");
    let f = w.resolve("/a/b/f").expect("f");
    assert_eq!(f.metadata().nlink, 2);
    assert_eq!(id(&w.resolve("/a/g").expect("g")), id(&f));
    assert_eq!(ctx.link(b"/a", false, &ctx, b"/a2"), Err(Errno::EPERM));
    assert_eq!(ctx.link(b"/a/b/f", false, &ctx, b"/a/g"), Err(Errno::EEXIST));
    assert_eq!(ctx.link(b"/missing", false, &ctx, b"/x"), Err(Errno::ENOENT));
    ctx.unlink(b"/a/b/f").expect("unlink one name");
    assert_eq!(f.metadata().nlink, 1);
    assert_eq!(contents(&*w.resolve("/a/g").expect("g")), b"data");
    // linkat without AT_SYMLINK_FOLLOW links the symlink itself.
    ctx.symlink(b"/a/g", b"/sl", 0, 0).expect("symlink");
    ctx.link(b"/sl", false, &ctx, b"/sl2").expect("link the link");
    assert_eq!(ctx.resolve(b"/sl2", false).map(|n| n.kind()), Ok(InodeKind::Symlink));
    ctx.link(b"/sl", true, &ctx, b"/g2").expect("link the target");
    assert_eq!(ctx.resolve(b"/g2", false).map(|n| id(&n)), Ok(id(&f)));
}

#[test]
fn rename_moves_and_replaces() {
    let w = tree();
    let ctx = w.ctx();
    let none = RenameFlags::NONE;
    let f = id(&w.resolve("/a/b/f").expect("f"));
    ctx.rename(b"/a/b/f", &ctx, b"/a/moved", none).expect("move");
    assert_eq!(w.resolve("/a/b/f").err(), Some(Errno::ENOENT));
    assert_eq!(w.resolve("/a/moved").map(|n| id(&n)), Ok(f));

    w.file("/a/other", b"other");
    ctx.rename(b"/a/moved", &ctx, b"/a/other", none).expect("replace a file");
    assert_eq!(contents(&*w.resolve("/a/other").expect("other")), b"data");

    assert_eq!(ctx.rename(b"/a/missing", &ctx, b"/a/x", none), Err(Errno::ENOENT));
    assert_eq!(ctx.rename(b"/a", &ctx, b"/a/b/inside", none), Err(Errno::EINVAL));
    assert_eq!(ctx.rename(b"/a", &ctx, b"/a/inside", none), Err(Errno::EINVAL));
    assert_eq!(ctx.rename(b"/a/other", &ctx, b"/a/b", none), Err(Errno::EISDIR));
    w.mkdir("/d1");
    w.mkdir("/d2");
    w.file("/d2/x", b"");
    assert_eq!(ctx.rename(b"/d1", &ctx, b"/a/other", none), Err(Errno::ENOTDIR));
    assert_eq!(ctx.rename(b"/d1", &ctx, b"/d2", none), Err(Errno::ENOTEMPTY));
    assert_eq!(ctx.rename(b"/a/other", &ctx, b"/a/x/", none), Err(Errno::ENOTDIR));
    assert_eq!(ctx.rename(b"/a/.", &ctx, b"/x", none), Err(Errno::EBUSY));
    assert_eq!(ctx.rename(b"/x", &ctx, b"/a/..", none), Err(Errno::EBUSY));
    // A directory replaces an empty one and takes its place in the tree.
    w.mkdir("/d3");
    let d1 = w.resolve("/d1").expect("d1");
    let d3 = w.resolve("/d3").expect("d3");
    ctx.rename(b"/d1", &ctx, b"/d3/", none).expect("dir over empty dir");
    assert_eq!(id(&w.resolve("/d3").expect("d3")), id(&d1));
    assert!(d3.is_removed());
    assert_eq!(ctx.path_of(&d1), Ok(b"/d3".to_vec()));
}

#[test]
fn rename_moves_directories_between_parents() {
    let w = tree();
    let ctx = w.ctx();
    w.mkdir("/c");
    let (a, c) = (w.resolve("/a").expect("a"), w.resolve("/c").expect("c"));
    assert_eq!((a.metadata().nlink, c.metadata().nlink), (3, 2));
    ctx.rename(b"/a/b", &ctx, b"/c/b", RenameFlags::NONE).expect("move dir");
    assert_eq!((a.metadata().nlink, c.metadata().nlink), (2, 3));
    let b = w.resolve("/c/b").expect("b");
    assert_eq!(ctx.path_of(&b), Ok(b"/c/b".to_vec()));
    assert_eq!(id(&w.resolve("/c/b/..").expect("..")), id(&c));
    assert_eq!(contents(&*w.resolve("/c/b/f").expect("f")), b"data");
}

#[test]
fn rename_noreplace_exchange_and_same_inode() {
    let w = tree();
    let ctx = w.ctx();
    w.file("/a/g", b"g");
    let noreplace = RenameFlags::from_bits(RENAME_NOREPLACE).expect("flags");
    let exchange = RenameFlags::from_bits(RENAME_EXCHANGE).expect("flags");
    assert_eq!(ctx.rename(b"/a/g", &ctx, b"/a/b/f", noreplace), Err(Errno::EEXIST));
    assert_eq!(ctx.rename(b"/a/g", &ctx, b"/a/..", noreplace), Err(Errno::EEXIST));
    ctx.rename(b"/a/g", &ctx, b"/a/h", noreplace).expect("free name");
    assert_eq!(ctx.rename(b"/a/h", &ctx, b"/a/none", exchange), Err(Errno::ENOENT));

    // Swap a file and a directory living in different parents.
    let b = w.resolve("/a/b").expect("b");
    let h = w.resolve("/a/h").expect("h");
    w.mkdir("/c");
    ctx.rename(b"/a/h", &ctx, b"/c", RenameFlags::NONE).expect_err("file over dir is EISDIR");
    ctx.rename(b"/a/b", &ctx, b"/c", exchange).expect("exchange dir with dir");
    assert_eq!(ctx.path_of(&b), Ok(b"/c".to_vec()));
    ctx.rename(b"/a/h", &ctx, b"/c", exchange).expect("exchange file with dir");
    assert_eq!(id(&w.resolve("/c").expect("c")), id(&h));
    assert_eq!(ctx.path_of(&b), Ok(b"/a/h".to_vec()));
    assert_eq!(contents(&*w.resolve("/a/h/f").expect("f")), b"data");
    // A directory cannot be swapped into its own subtree.
    assert_eq!(ctx.rename(b"/a", &ctx, b"/a/h/f", exchange), Err(Errno::EINVAL));

    // Renaming onto another name of the same inode does nothing.
    ctx.link(b"/a/h/f", false, &ctx, b"/a/f2").expect("link");
    ctx.rename(b"/a/h/f", &ctx, b"/a/f2", RenameFlags::NONE).expect("no-op");
    assert!(w.resolve("/a/h/f").is_ok() && w.resolve("/a/f2").is_ok());
}

#[test]
fn truncate_and_attributes_by_path() {
    let w = tree();
    let ctx = w.ctx();
    ctx.truncate(b"/a/b/f", 2).expect("shrink");
    assert_eq!(contents(&*w.resolve("/a/b/f").expect("f")), b"da");
    ctx.truncate(b"/a/b/f", 4).expect("grow");
    assert_eq!(contents(&*w.resolve("/a/b/f").expect("f")), b"da\0\0");
    assert_eq!(ctx.truncate(b"/a", 0), Err(Errno::EISDIR));
    assert_eq!(ctx.truncate(b"/a/b/f", -1), Err(Errno::EINVAL));
    let attr = SetAttr { perm: Some(0o4711), uid: Some(7), gid: Some(8), ..SetAttr::default() };
    ctx.set_attr(b"/a/b/f", true, &attr).expect("chmod");
    let m = w.resolve("/a/b/f").expect("f").metadata();
    assert_eq!((m.mode(), m.uid, m.gid), (0o104711, 7, 8));
    assert_eq!(ctx.directory(b"/a/b/f").err(), Some(Errno::ENOTDIR));
    assert!(ctx.directory(b"/a/b").is_ok());
}

#[test]
fn display_paths_of_opened_files() {
    let w = tree();
    let ctx = w.ctx();
    let cwd = w.resolve("/a").expect("a");
    let located = ctx.at(&cwd).locate(b"b/../b/f", true).expect("locate");
    assert_eq!(ctx.display_path(&located, b"b/../b/f"), b"/a/b/f".to_vec());
    let located = ctx.locate(b"/a/b/.", true).expect("dir");
    assert_eq!(ctx.display_path(&located, b""), b"/a/b".to_vec());
    let names: Vec<_> =
        ["/", "/a"].iter().map(|p| ctx.display_path(&ctx.locate(p.as_bytes(), true).expect("root"), b"")).collect();
    assert_eq!(names, vec![b"/".to_vec(), b"/a".to_vec()]);
}
