# echo_server.tcl: the server after the move. Plain Tcl sockets only;
# tlsgate terminates TLS in front of it (terminate.yaml).
#   tclsh echo_server.tcl ?port?        port 7000 by default; 0 picks a free one
set port [expr {$argc > 0 ? [lindex $argv 0] : 7000}]

proc accept {chan addr port} {
    fconfigure $chan -blocking 0 -buffering line -translation lf
    fileevent $chan readable [list echo $chan]
}

proc echo {chan} {
    if {[catch {gets $chan line} n] || ($n < 0 && [eof $chan])} {
        close $chan
        return
    }
    if {$n >= 0} {
        puts $chan "echo:$line"
    }
}

# Loopback only: clients reach the server through tlsgate, never directly.
set server [socket -server accept -myaddr 127.0.0.1 $port]
puts "LISTENING [lindex [fconfigure $server -sockname] 2]"
flush stdout
vwait forever
