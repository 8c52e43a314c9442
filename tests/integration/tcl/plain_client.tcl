# A legacy plaintext Tcl client: plain socket, one line out, one line back.
#   tclsh plain_client.tcl port message
lassign $argv port message
set chan [socket 127.0.0.1 $port]
fconfigure $chan -buffering line -translation lf
puts $chan $message
set n [gets $chan reply]
puts "REPLY:$reply"
close $chan
puts "DONE"
