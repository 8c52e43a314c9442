# A TclTLS client: connects with tls::socket, verifying the server against
# the CA and the name "localhost", sends one line and prints the reply and
# the connection's tls::status.
#   tclsh tls_client.tcl port cafile message
package require tls

lassign $argv port cafile message
set chan [tls::socket -require 1 -cafile $cafile -servername localhost 127.0.0.1 $port]
fconfigure $chan -buffering line -translation lf
tls::handshake $chan
puts $chan $message
set n [gets $chan reply]
puts "REPLY:$reply"
set status [tls::status $chan]
foreach key {version cipher subject} {
    if {[dict exists $status $key]} {
        puts "STATUS:$key=[dict get $status $key]"
    }
}
if {![catch {tls::connection $chan} conn]} {
    if {[dict exists $conn protocol]} {
        puts "CONNECTION:protocol=[dict get $conn protocol]"
    }
}
close $chan
puts "DONE"
