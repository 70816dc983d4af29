# A million connections: many source addresses, large kernel tables, root with CAP_SYS_RESOURCE.
@{
    Name        = 'C1M'
    Description = '1,000,000 connections; needs ~16 source addresses, root with CAP_SYS_RESOURCE and several GiB for socket buffers.'
    Connections = 1000000
    Linux       = @{
        'RLIMIT_NOFILE.soft'             = 1048576
        'RLIMIT_NOFILE.hard'             = 1048576
        'fs.nr_open'                     = 2097152
        'fs.file-max'                    = 4000000
        'fs.epoll.max_user_watches'      = 4000000
        'net.core.somaxconn'             = 65535
        'net.ipv4.tcp_max_syn_backlog'   = 65535
        'net.core.netdev_max_backlog'    = 65535
        'net.ipv4.ip_local_port_range'   = '1024 65535'
        'net.ipv4.tcp_tw_reuse'          = 1
        'net.ipv4.tcp_max_tw_buckets'    = 2000000
        'net.ipv4.tcp_mem'               = '786432 1048576 1572864'
        'net.netfilter.nf_conntrack_max' = 2097152
    }
    MacOS       = @{
        'RLIMIT_NOFILE.soft'          = 1048576
        'RLIMIT_NOFILE.hard'          = 1048576
        'kern.maxfiles'               = 2097152
        'kern.maxfilesperproc'        = 1048576
        'kern.ipc.somaxconn'          = 65535
        'kern.ipc.maxsockets'         = 2097152
        'net.inet.ip.portrange.first' = 1024
        'launchctl.maxfiles'          = '1048576 2097152'
    }
}
