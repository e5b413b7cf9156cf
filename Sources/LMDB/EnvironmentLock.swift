#if canImport(Glibc)
import Glibc
#endif

/// Whether another process has an LMDB environment open, read from its lock file.
///
/// LMDB (mdb.c, `mdb_env_excl_lock`) has every process that opens an environment hold an
/// `fcntl` lock on byte 0 of `lock.mdb` for as long as the environment is open: exclusive while
/// it initialises the lock file, shared afterwards. So a test for a write lock on that byte
/// (`F_GETLK`, which takes no lock itself) names a process that holds the environment open —
/// a reader as much as a writer. Do not call it on an environment this process has open: fcntl
/// locks belong to the process and would not show.
public enum EnvironmentLock {
    /// The id of a process that has the environment in `folder` open, or nil when none has
    /// (or there is no lock file).
    public static func holder(of folder: String) -> pid_t? {
        let fd = open(folder + "/lock.mdb", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var probe = flock()
        probe.l_type = Int16(F_WRLCK)
        probe.l_whence = Int16(SEEK_SET)
        probe.l_start = 0
        probe.l_len = 1
        guard fcntl(fd, F_GETLK, &probe) == 0 else { return nil }
        return probe.l_type == Int16(F_UNLCK) ? nil : probe.l_pid
    }
}
