# A hundred thousand connections: server and client in separate processes, several source addresses.
@{
    Name        = 'C100K'
    Description = '100,000 connections; needs root with CAP_SYS_RESOURCE for the open-file limits, and 2+ source addresses.'
    Connections = 100000
    Linux       = @{
        'RLIMIT_NOFILE.soft'             = 200256
        'RLIMIT_NOFILE.hard'             = 200256
        'fs.nr_open'                     = 1048576
        'fs.file-max'                    = 1000000
        'fs.epoll.max_user_watches'      = 1000000
        'net.core.somaxconn'             = 16384
        'net.ipv4.tcp_max_syn_backlog'   = 16384
        'net.core.netdev_max_backlog'    = 16384
        'net.ipv4.ip_local_port_range'   = '1024 65535'
        'net.ipv4.tcp_tw_reuse'          = 1
        'net.ipv4.tcp_max_tw_buckets'    = 262144
        'net.netfilter.nf_conntrack_max' = 262144
    }
    MacOS       = @{
        'RLIMIT_NOFILE.soft'          = 200256
        'RLIMIT_NOFILE.hard'          = 200256
        'kern.maxfiles'               = 500000
        'kern.maxfilesperproc'        = 250000
        'kern.ipc.somaxconn'          = 16384
        'kern.ipc.maxsockets'         = 500000
        'net.inet.ip.portrange.first' = 1024
        'launchctl.maxfiles'          = '250000 500000'
    }
}
