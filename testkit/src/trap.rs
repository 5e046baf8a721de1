//! A listener that never answers and counts who connected to it: proof that
//! something did, or did not, connect, without a clock. The kernel completes
//! every handshake into the accept queue whether or not anyone accepts, so
//! once a client's `connect` returned its connection is counted, however
//! slow the machine; a connection is then held open and never answered (a
//! server that hangs).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Mutex;

/// The listener; see the module docs.
pub struct Trap {
    listener: TcpListener,
    held: Mutex<Vec<TcpStream>>,
}

impl Trap {
    /// Listens on a free port of `ip`.
    pub fn on(ip: IpAddr) -> std::io::Result<Trap> {
        let listener = TcpListener::bind((ip, 0))?;
        listener.set_nonblocking(true)?;
        Ok(Trap {
            listener,
            held: Mutex::default(),
        })
    }

    /// Listens on a free port of 127.0.0.1.
    pub fn loopback() -> Trap {
        Trap::on(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("loopback listener")
    }

    /// Listens on an address of this machine that is not loopback (the one
    /// its route to 10.0.0.1 leaves from: no packet is sent to find it), for
    /// what must not connect to a host other than this one; `None` when the
    /// machine has no such address.
    pub fn off_loopback() -> Option<Trap> {
        let probe = UdpSocket::bind("0.0.0.0:0").ok()?;
        probe.connect("10.0.0.1:9").ok()?;
        let ip = probe.local_addr().ok()?.ip();
        if ip.is_loopback() || ip.is_unspecified() {
            return None;
        }
        Trap::on(ip).ok()
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("trap address")
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Connections made to it so far.
    pub fn connections(&self) -> usize {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        while let Ok((c, _)) = self.listener.accept() {
            held.push(c);
        }
        held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trap_counts_connections_made_before_it_is_asked() {
        let t = Trap::loopback();
        assert_eq!(t.connections(), 0);
        let a = TcpStream::connect(t.addr()).unwrap();
        drop(TcpStream::connect(t.addr()).unwrap());
        assert_eq!(t.connections(), 2);
        drop(a);
        assert_eq!(t.connections(), 2);
    }
}
