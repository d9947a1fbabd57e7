//! Child processes a test starts: guarded so that a failing test leaves none behind, and the
//! test binary itself re-run for one scenario that needs a process of its own.

use std::io::Read;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// A child process killed and reaped when dropped, so a failing test leaves nothing running.
pub struct KillOnDrop {
    /// What it is, for failure messages.
    pub name: &'static str,
    /// The process.
    pub child: Child,
}

impl KillOnDrop {
    /// Guards `child`, called `name` in failure messages.
    pub fn new(name: &'static str, child: Child) -> KillOnDrop {
        KillOnDrop { name, child }
    }

    /// Waits for the process to exit, collecting its piped stdout and stderr; kills it and fails
    /// the test if it outlives `limit`, so a call that blocks forever fails CI instead of
    /// hanging it.
    pub fn wait_with_limit(mut self, limit: Duration) -> Output {
        let deadline = Instant::now() + limit;
        // Read the pipes on threads so a chatty child cannot block on a full pipe.
        let stdout = drain(self.child.stdout.take());
        let stderr = drain(self.child.stderr.take());
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for a child") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{} still running after {limit:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `pipe` to its end on a thread of its own.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut buf).ok();
        }
        buf
    })
}

/// This test binary again, running only the test named `test`, in one thread, output shown.
/// For scenarios that need a process of their own (a different environment, or one to kill).
pub fn single_test(test: &str) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"]);
    cmd
}
