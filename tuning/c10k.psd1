# Ten thousand concurrent connections, server and load generator in one process (2 fds each).
@{
    Name        = 'C10K'
    Description = '10,000 connections in one process; fits a 20,000 RLIMIT_NOFILE hard limit with one side isolated.'
    Connections = 10000
    Linux       = @{
        'RLIMIT_NOFILE.soft'           = 20256
        'RLIMIT_NOFILE.hard'           = 20256
        'fs.nr_open'                   = 1048576
        'fs.file-max'                  = 200000
        'fs.epoll.max_user_watches'    = 100000
        'net.core.somaxconn'           = 4096
        'net.ipv4.tcp_max_syn_backlog' = 4096
        'net.ipv4.ip_local_port_range' = '1024 65535'
        'net.ipv4.tcp_tw_reuse'        = 1
        'net.ipv4.tcp_max_tw_buckets'  = 65536
    }
    MacOS       = @{
        'RLIMIT_NOFILE.soft'          = 20256
        'RLIMIT_NOFILE.hard'          = 20256
        'kern.maxfiles'               = 65536
        'kern.maxfilesperproc'        = 32768
        'kern.ipc.somaxconn'          = 4096
        'net.inet.ip.portrange.first' = 1024
        'launchctl.maxfiles'          = '32768 65536'
    }
}
