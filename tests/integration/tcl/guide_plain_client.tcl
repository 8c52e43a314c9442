# plain_client.tcl: the client after the move. A plain socket to tlsgate on
# loopback; tlsgate opens and verifies the TLS connection (originate.yaml).
#   tclsh plain_client.tcl ?port? ?message?        port 7001 by default
set port [expr {$argc > 0 ? [lindex $argv 0] : 7001}]
set message [expr {$argc > 1 ? [lindex $argv 1] : "hello"}]

set chan [socket 127.0.0.1 $port]
fconfigure $chan -buffering line -translation lf
puts $chan $message
if {[gets $chan reply] < 0} {
    puts stderr "no reply: tlsgate's log says why"
    exit 1
}
puts "REPLY:$reply"
close $chan
