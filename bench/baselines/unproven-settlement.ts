// InferenceSettlement as it was before settlements carried proofs and authorizations (commit b9c1012):
// the baseline of the settle gas rows in bench/contracts-gas.ts. Generated; do not edit.
export const UnprovenInferenceSettlement = {
  contractName: 'InferenceSettlement',
  abi: [
    {
      inputs: [
        {
          internalType: 'address',
          name: 'admin',
          type: 'address',
        },
        {
          internalType: 'address',
          name: 'treasury_',
          type: 'address',
        },
        {
          internalType: 'contract ModelRegistry',
          name: 'modelRegistry_',
          type: 'address',
        },
        {
          internalType: 'contract Staking',
          name: 'staking_',
          type: 'address',
        },
      ],
      stateMutability: 'nonpayable',
      type: 'constructor',
    },
    {
      inputs: [],
      name: 'AccessControlBadConfirmation',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'address',
          name: 'account',
          type: 'address',
        },
        {
          internalType: 'bytes32',
          name: 'neededRole',
          type: 'bytes32',
        },
      ],
      name: 'AccessControlUnauthorizedAccount',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'index',
          type: 'uint256',
        },
        {
          internalType: 'uint256',
          name: 'weight',
          type: 'uint256',
        },
      ],
      name: 'BadWeight',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'fees',
          type: 'uint256',
        },
        {
          internalType: 'uint256',
          name: 'value',
          type: 'uint256',
        },
      ],
      name: 'BatchValueMismatch',
      type: 'error',
    },
    {
      inputs: [],
      name: 'EmptyBatch',
      type: 'error',
    },
    {
      inputs: [],
      name: 'FailedCall',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'balance',
          type: 'uint256',
        },
        {
          internalType: 'uint256',
          name: 'needed',
          type: 'uint256',
        },
      ],
      name: 'InsufficientBalance',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'sum',
          type: 'uint256',
        },
      ],
      name: 'InvalidSplit',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'contributors',
          type: 'uint256',
        },
        {
          internalType: 'uint256',
          name: 'weights',
          type: 'uint256',
        },
      ],
      name: 'LengthMismatch',
      type: 'error',
    },
    {
      inputs: [],
      name: 'NothingToClaim',
      type: 'error',
    },
    {
      inputs: [],
      name: 'ReentrancyGuardReentrantCall',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'count',
          type: 'uint256',
        },
        {
          internalType: 'uint256',
          name: 'max',
          type: 'uint256',
        },
      ],
      name: 'TooManyContributors',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'modelId',
          type: 'uint256',
        },
      ],
      name: 'UnknownModel',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'sum',
          type: 'uint256',
        },
        {
          internalType: 'uint256',
          name: 'expected',
          type: 'uint256',
        },
      ],
      name: 'WeightsNotWhole',
      type: 'error',
    },
    {
      inputs: [],
      name: 'ZeroAddress',
      type: 'error',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'index',
          type: 'uint256',
        },
      ],
      name: 'ZeroContributor',
      type: 'error',
    },
    {
      inputs: [],
      name: 'ZeroFee',
      type: 'error',
    },
    {
      anonymous: false,
      inputs: [
        {
          indexed: true,
          internalType: 'address',
          name: 'account',
          type: 'address',
        },
        {
          indexed: false,
          internalType: 'uint256',
          name: 'amount',
          type: 'uint256',
        },
      ],
      name: 'Claimed',
      type: 'event',
    },
    {
      anonymous: false,
      inputs: [
        {
          indexed: true,
          internalType: 'uint256',
          name: 'receiptId',
          type: 'uint256',
        },
        {
          indexed: true,
          internalType: 'address',
          name: 'contributor',
          type: 'address',
        },
        {
          indexed: false,
          internalType: 'uint256',
          name: 'amount',
          type: 'uint256',
        },
      ],
      name: 'ContributorCredited',
      type: 'event',
    },
    {
      anonymous: false,
      inputs: [
        {
          indexed: true,
          internalType: 'uint256',
          name: 'receiptId',
          type: 'uint256',
        },
        {
          indexed: true,
          internalType: 'uint256',
          name: 'modelId',
          type: 'uint256',
        },
        {
          indexed: true,
          internalType: 'address',
          name: 'payer',
          type: 'address',
        },
        {
          indexed: false,
          internalType: 'bytes32',
          name: 'responseHash',
          type: 'bytes32',
        },
        {
          indexed: false,
          internalType: 'uint256',
          name: 'fee',
          type: 'uint256',
        },
        {
          indexed: false,
          internalType: 'uint256',
          name: 'platformAmount',
          type: 'uint256',
        },
        {
          indexed: false,
          internalType: 'uint256',
          name: 'modelAmount',
          type: 'uint256',
        },
        {
          indexed: false,
          internalType: 'uint256',
          name: 'stakersAmount',
          type: 'uint256',
        },
        {
          indexed: false,
          internalType: 'uint256',
          name: 'contributorsAmount',
          type: 'uint256',
        },
      ],
      name: 'InferenceSettled',
      type: 'event',
    },
    {
      anonymous: false,
      inputs: [
        {
          indexed: true,
          internalType: 'bytes32',
          name: 'role',
          type: 'bytes32',
        },
        {
          indexed: true,
          internalType: 'bytes32',
          name: 'previousAdminRole',
          type: 'bytes32',
        },
        {
          indexed: true,
          internalType: 'bytes32',
          name: 'newAdminRole',
          type: 'bytes32',
        },
      ],
      name: 'RoleAdminChanged',
      type: 'event',
    },
    {
      anonymous: false,
      inputs: [
        {
          indexed: true,
          internalType: 'bytes32',
          name: 'role',
          type: 'bytes32',
        },
        {
          indexed: true,
          internalType: 'address',
          name: 'account',
          type: 'address',
        },
        {
          indexed: true,
          internalType: 'address',
          name: 'sender',
          type: 'address',
        },
      ],
      name: 'RoleGranted',
      type: 'event',
    },
    {
      anonymous: false,
      inputs: [
        {
          indexed: true,
          internalType: 'bytes32',
          name: 'role',
          type: 'bytes32',
        },
        {
          indexed: true,
          internalType: 'address',
          name: 'account',
          type: 'address',
        },
        {
          indexed: true,
          internalType: 'address',
          name: 'sender',
          type: 'address',
        },
      ],
      name: 'RoleRevoked',
      type: 'event',
    },
    {
      anonymous: false,
      inputs: [
        {
          indexed: false,
          internalType: 'uint16',
          name: 'platformBps',
          type: 'uint16',
        },
        {
          indexed: false,
          internalType: 'uint16',
          name: 'modelOwnerBps',
          type: 'uint16',
        },
        {
          indexed: false,
          internalType: 'uint16',
          name: 'stakersBps',
          type: 'uint16',
        },
        {
          indexed: false,
          internalType: 'uint16',
          name: 'contributorsBps',
          type: 'uint16',
        },
      ],
      name: 'SplitUpdated',
      type: 'event',
    },
    {
      anonymous: false,
      inputs: [
        {
          indexed: false,
          internalType: 'address',
          name: 'treasury',
          type: 'address',
        },
      ],
      name: 'TreasuryUpdated',
      type: 'event',
    },
    {
      inputs: [],
      name: 'BPS_DENOMINATOR',
      outputs: [
        {
          internalType: 'uint16',
          name: '',
          type: 'uint16',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'DEFAULT_ADMIN_ROLE',
      outputs: [
        {
          internalType: 'bytes32',
          name: '',
          type: 'bytes32',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'GOVERNANCE_ROLE',
      outputs: [
        {
          internalType: 'bytes32',
          name: '',
          type: 'bytes32',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'MAX_CONTRIBUTORS',
      outputs: [
        {
          internalType: 'uint256',
          name: '',
          type: 'uint256',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'WEIGHT_SCALE',
      outputs: [
        {
          internalType: 'uint256',
          name: '',
          type: 'uint256',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'address',
          name: 'account',
          type: 'address',
        },
      ],
      name: 'balancesOf',
      outputs: [
        {
          internalType: 'uint256',
          name: 'asContributor',
          type: 'uint256',
        },
        {
          internalType: 'uint256',
          name: 'asModelOwner',
          type: 'uint256',
        },
        {
          internalType: 'uint256',
          name: 'asPlatform',
          type: 'uint256',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'claim',
      outputs: [
        {
          internalType: 'uint256',
          name: 'amount',
          type: 'uint256',
        },
      ],
      stateMutability: 'nonpayable',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'address',
          name: 'account',
          type: 'address',
        },
      ],
      name: 'claimable',
      outputs: [
        {
          internalType: 'uint256',
          name: '',
          type: 'uint256',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'contributorsBps',
      outputs: [
        {
          internalType: 'uint16',
          name: '',
          type: 'uint16',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'bytes32',
          name: 'role',
          type: 'bytes32',
        },
      ],
      name: 'getRoleAdmin',
      outputs: [
        {
          internalType: 'bytes32',
          name: '',
          type: 'bytes32',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'bytes32',
          name: 'role',
          type: 'bytes32',
        },
        {
          internalType: 'address',
          name: 'account',
          type: 'address',
        },
      ],
      name: 'grantRole',
      outputs: [],
      stateMutability: 'nonpayable',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'bytes32',
          name: 'role',
          type: 'bytes32',
        },
        {
          internalType: 'address',
          name: 'account',
          type: 'address',
        },
      ],
      name: 'hasRole',
      outputs: [
        {
          internalType: 'bool',
          name: '',
          type: 'bool',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'modelOwnerBps',
      outputs: [
        {
          internalType: 'uint16',
          name: '',
          type: 'uint16',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'modelRegistry',
      outputs: [
        {
          internalType: 'contract ModelRegistry',
          name: '',
          type: 'address',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'platformBps',
      outputs: [
        {
          internalType: 'uint16',
          name: '',
          type: 'uint16',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'receiptCount',
      outputs: [
        {
          internalType: 'uint256',
          name: '',
          type: 'uint256',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'bytes32',
          name: 'role',
          type: 'bytes32',
        },
        {
          internalType: 'address',
          name: 'callerConfirmation',
          type: 'address',
        },
      ],
      name: 'renounceRole',
      outputs: [],
      stateMutability: 'nonpayable',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'bytes32',
          name: 'role',
          type: 'bytes32',
        },
        {
          internalType: 'address',
          name: 'account',
          type: 'address',
        },
      ],
      name: 'revokeRole',
      outputs: [],
      stateMutability: 'nonpayable',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'uint16',
          name: 'platformBps_',
          type: 'uint16',
        },
        {
          internalType: 'uint16',
          name: 'modelOwnerBps_',
          type: 'uint16',
        },
        {
          internalType: 'uint16',
          name: 'stakersBps_',
          type: 'uint16',
        },
        {
          internalType: 'uint16',
          name: 'contributorsBps_',
          type: 'uint16',
        },
      ],
      name: 'setSplit',
      outputs: [],
      stateMutability: 'nonpayable',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'address',
          name: 'treasury_',
          type: 'address',
        },
      ],
      name: 'setTreasury',
      outputs: [],
      stateMutability: 'nonpayable',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'uint256',
          name: 'modelId',
          type: 'uint256',
        },
        {
          internalType: 'bytes32',
          name: 'responseHash',
          type: 'bytes32',
        },
        {
          internalType: 'address[]',
          name: 'contributors',
          type: 'address[]',
        },
        {
          internalType: 'uint256[]',
          name: 'weights',
          type: 'uint256[]',
        },
      ],
      name: 'settle',
      outputs: [
        {
          internalType: 'uint256',
          name: 'receiptId',
          type: 'uint256',
        },
      ],
      stateMutability: 'payable',
      type: 'function',
    },
    {
      inputs: [
        {
          components: [
            {
              internalType: 'uint256',
              name: 'modelId',
              type: 'uint256',
            },
            {
              internalType: 'bytes32',
              name: 'responseHash',
              type: 'bytes32',
            },
            {
              internalType: 'uint256',
              name: 'fee',
              type: 'uint256',
            },
            {
              internalType: 'address[]',
              name: 'contributors',
              type: 'address[]',
            },
            {
              internalType: 'uint256[]',
              name: 'weights',
              type: 'uint256[]',
            },
          ],
          internalType: 'struct InferenceSettlement.Settlement[]',
          name: 'items',
          type: 'tuple[]',
        },
      ],
      name: 'settleBatch',
      outputs: [
        {
          internalType: 'uint256',
          name: 'firstReceiptId',
          type: 'uint256',
        },
      ],
      stateMutability: 'payable',
      type: 'function',
    },
    {
      inputs: [],
      name: 'split',
      outputs: [
        {
          internalType: 'uint16',
          name: 'platform',
          type: 'uint16',
        },
        {
          internalType: 'uint16',
          name: 'modelOwner',
          type: 'uint16',
        },
        {
          internalType: 'uint16',
          name: 'stakers',
          type: 'uint16',
        },
        {
          internalType: 'uint16',
          name: 'contributors_',
          type: 'uint16',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'stakersBps',
      outputs: [
        {
          internalType: 'uint16',
          name: '',
          type: 'uint16',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'staking',
      outputs: [
        {
          internalType: 'contract Staking',
          name: '',
          type: 'address',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [
        {
          internalType: 'bytes4',
          name: 'interfaceId',
          type: 'bytes4',
        },
      ],
      name: 'supportsInterface',
      outputs: [
        {
          internalType: 'bool',
          name: '',
          type: 'bool',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
    {
      inputs: [],
      name: 'treasury',
      outputs: [
        {
          internalType: 'address',
          name: '',
          type: 'address',
        },
      ],
      stateMutability: 'view',
      type: 'function',
    },
  ],
  bytecode:
    '0x60c060405260018054600160a01b600160e01b03191667027100fa00fa007d60a31b17905534801561002f575f5ffd5b506040516119ec3803806119ec83398101604081905261004e916101fb565b60017f9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00556001600160a01b038416158061008f57506001600160a01b038316155b806100a157506001600160a01b038216155b806100b357506001600160a01b038116155b156100d15760405163d92e233d60e01b815260040160405180910390fd5b600180546001600160a01b0319166001600160a01b0385811691909117909155828116608052811660a0526101065f8561013b565b506101317f71840dc4906352362b0cdaf79870196c8e42acafade72d5d5a6d59291253ceb18561013b565b5050505050610257565b5f828152602081815260408083206001600160a01b038516845290915281205460ff166101db575f838152602081815260408083206001600160a01b03861684529091529020805460ff191660011790556101933390565b6001600160a01b0316826001600160a01b0316847f2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d60405160405180910390a45060016101de565b505f5b92915050565b6001600160a01b03811681146101f8575f5ffd5b50565b5f5f5f5f6080858703121561020e575f5ffd5b8451610219816101e4565b602086015190945061022a816101e4565b604086015190935061023b816101e4565b606086015190925061024c816101e4565b939692955090935050565b60805160a0516117586102945f395f8181610334015281816108bf0152818161096c0152610ebc01525f818161024e0152610dd101526117585ff3fe608060405260043610610195575f3560e01c80637f038f3c116100e7578063e1a4521811610087578063f0f4426011610062578063f0f44260146104e5578063f36c8f5c14610504578063f765417614610537578063f76835e61461058c575f5ffd5b8063e1a4521814610490578063e6ed10a4146104a5578063ecad56da146104c4575f5ffd5b8063a217fddf116100c2578063a217fddf14610438578063a65096f31461044b578063b063bed01461045e578063d547741f14610471575f5ffd5b80637f038f3c146103ef57806391d14854146104045780639f4bca2614610423575f5ffd5b806336568abe116101525780634cf088d91161012d5780634cf088d9146103235780634e71d92d1461035657806361d027b31461036a5780636392a51f14610389575f5ffd5b806336568abe146102c4578063402914f5146102e3578063457f9efc14610302575f5ffd5b806301ffc9a7146101995780630fb2bea9146101cd578063248a9ca3146102015780632ba36f781461023d5780632f2ff15d14610288578063333fedad146102a9575b5f5ffd5b3480156101a4575f5ffd5b506101b86101b33660046113be565b6105ad565b60405190151581526020015b60405180910390f35b3480156101d8575f5ffd5b506001546101ee90600160d01b900461ffff1681565b60405161ffff90911681526020016101c4565b34801561020c575f5ffd5b5061022f61021b3660046113ec565b5f9081526020819052604090206001015490565b6040519081526020016101c4565b348015610248575f5ffd5b506102707f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020016101c4565b348015610293575f5ffd5b506102a76102a2366004611417565b6105e3565b005b3480156102b4575f5ffd5b5061022f670de0b6b3a764000081565b3480156102cf575f5ffd5b506102a76102de366004611417565b61060d565b3480156102ee575f5ffd5b5061022f6102fd366004611445565b610645565b34801561030d575f5ffd5b506001546101ee90600160c01b900461ffff1681565b34801561032e575f5ffd5b506102707f000000000000000000000000000000000000000000000000000000000000000081565b348015610361575f5ffd5b5061022f610686565b348015610375575f5ffd5b50600154610270906001600160a01b031681565b348015610394575f5ffd5b506103d46103a3366004611445565b6001600160a01b03165f90815260036020908152604080832054600483528184205460059093529220549192909190565b604080519384526020840192909252908201526060016101c4565b3480156103fa575f5ffd5b5061022f60025481565b34801561040f575f5ffd5b506101b861041e366004611417565b610763565b34801561042e575f5ffd5b5061022f61010081565b348015610443575f5ffd5b5061022f5f81565b61022f6104593660046114a8565b61078b565b61022f61046c3660046114e7565b610946565b34801561047c575f5ffd5b506102a761048b366004611417565b6109fc565b34801561049b575f5ffd5b506101ee61271081565b3480156104b0575f5ffd5b506102a76104bf36600461157f565b610a20565b3480156104cf575f5ffd5b506001546101ee90600160b01b900461ffff1681565b3480156104f0575f5ffd5b506102a76104ff366004611445565b610b5a565b34801561050f575f5ffd5b5061022f7f71840dc4906352362b0cdaf79870196c8e42acafade72d5d5a6d59291253ceb181565b348015610542575f5ffd5b506001546040805161ffff600160a01b840481168252600160b01b840481166020830152600160c01b8404811692820192909252600160d01b9092041660608201526080016101c4565b348015610597575f5ffd5b506001546101ee90600160a01b900461ffff1681565b5f6001600160e01b03198216637965db0b60e01b14806105dd57506301ffc9a760e01b6001600160e01b03198316145b92915050565b5f828152602081905260409020600101546105fd81610c00565b6106078383610c0d565b50505050565b6001600160a01b03811633146106365760405163334bd91960e11b815260040160405180910390fd5b6106408282610c9c565b505050565b6001600160a01b0381165f908152600560209081526040808320546004835281842054600390935290832054909161067c916115e4565b6105dd91906115e4565b5f61068f610d05565b335f90815260056020908152604080832054600483528184205460039093529220546106bb91906115e4565b6106c591906115e4565b9050805f036106e7576040516312d37ee560e31b815260040160405180910390fd5b335f81815260036020908152604080832083905560048252808320839055600582528083209290925590518381527fd8138f8a3f377c5259ca548e70e4c2de94f129f5a11036a15b69513cba2b426a910160405180910390a261074a3382610d20565b61076060015f5160206117035f395f51905f5255565b90565b5f918252602082815260408084206001600160a01b0393909316845291905290205460ff1690565b5f610794610d05565b5f8290036107b55760405163c2e5347d60e01b815260040160405180910390fd5b5f805b838110156107fc578484828181106107d2576107d26115f7565b90506020028101906107e4919061160b565b6107f29060400135836115e4565b91506001016107b8565b5034811461082b5760405163f1cb847d60e01b8152600481018290523460248201526044015b60405180910390fd5b6002546108399060016115e4565b91505f805b848110156108b65736868683818110610859576108596115f7565b905060200281019061086b919061160b565b90505f61089c82356020840135604085013561088a6060870187611629565b6108976080890189611629565b610d97565b91506108aa905081856115e4565b9350505060010161083e565b50801561092e577f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316636f4a2cd0826040518263ffffffff1660e01b81526004015f604051808303818588803b158015610916575f5ffd5b505af1158015610928573d5f5f3e3d5ffd5b50505050505b50506105dd60015f5160206117035f395f51905f5255565b5f61094f610d05565b5f61095f88883489898989610d97565b909250905080156109db577f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316636f4a2cd0826040518263ffffffff1660e01b81526004015f604051808303818588803b1580156109c3575f5ffd5b505af11580156109d5573d5f5f3e3d5ffd5b50505050505b506109f260015f5160206117035f395f51905f5255565b9695505050505050565b5f82815260208190526040902060010154610a1681610c00565b6106078383610c9c565b7f71840dc4906352362b0cdaf79870196c8e42acafade72d5d5a6d59291253ceb1610a4a81610c00565b5f8261ffff168461ffff168661ffff168861ffff16610a6991906115e4565b610a7391906115e4565b610a7d91906115e4565b90506127108114610aa4576040516348ce6f0160e11b815260048101829052602401610822565b6001805463ffffffff60a01b1916600160a01b61ffff89811691820261ffff60b01b191692909217600160b01b8984169081029190911763ffffffff60c01b1916600160c01b89851690810261ffff60d01b191691909117600160d01b9489169485021790945560408051928352602083019190915281019290925260608201527f9657dd38e9a9f4a7d077f80660d0905b22a4abc867362fc630a684306ebb939a9060800160405180910390a1505050505050565b7f71840dc4906352362b0cdaf79870196c8e42acafade72d5d5a6d59291253ceb1610b8481610c00565b6001600160a01b038216610bab5760405163d92e233d60e01b815260040160405180910390fd5b600180546001600160a01b0319166001600160a01b0384169081179091556040519081527f7dae230f18360d76a040c81f050aa14eb9d6dc7901b20fc5d855e2a20fe814d19060200160405180910390a15050565b610c0a8133611094565b50565b5f610c188383610763565b610c95575f838152602081815260408083206001600160a01b03861684529091529020805460ff19166001179055610c4d3390565b6001600160a01b0316826001600160a01b0316847f2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d60405160405180910390a45060016105dd565b505f6105dd565b5f610ca78383610763565b15610c95575f838152602081815260408083206001600160a01b0386168085529252808320805460ff1916905551339286917ff6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b9190a45060016105dd565b610d0d6110cd565b60025f5160206117035f395f51905f5255565b80471015610d4a5760405163cf47918160e01b815247600482015260248101829052604401610822565b610d63828260405180602001604052805f815250611106565b15610d6c575050565b3d15610d7e57610d7a61111b565b5050565b60405163d6bda27560e01b815260040160405180910390fd5b5f5f865f03610db95760405163af13986d60e01b815260040160405180910390fd5b6040516311f54a1560e21b8152600481018a90525f907f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316906347d5285490602401602060405180830381865afa158015610e1e573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610e42919061166f565b90506001600160a01b038116610e6e57604051632380022d60e01b8152600481018b9052602401610822565b610e7a87878787611126565b60025f8154610e889061168a565b91829055506001549093505f9061271090610eae90600160b01b900461ffff168b6116a2565b610eb891906116b9565b90507f00000000000000000000000000000000000000000000000000000000000000006001600160a01b031663817b1cd26040518163ffffffff1660e01b8152600401602060405180830381865afa158015610f16573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610f3a91906116d8565b15610f6a5760015461271090610f5b90600160c01b900461ffff168b6116a2565b610f6591906116b9565b610f6c565b5f5b6001549093505f90610fa690869061271090610f9390600160d01b900461ffff168e6116a2565b610f9d91906116b9565b8b8b8b8b61128a565b90505f8185610fb5858e6116ef565b610fbf91906116ef565b610fc991906116ef565b6001600160a01b0385165f90815260046020526040812080549293508592909190610ff59084906115e4565b90915550506001546001600160a01b03165f90815260056020526040812080548392906110239084906115e4565b9091555050604080518d8152602081018d9052908101829052606081018490526080810186905260a0810183905233908e9088907f43198c88ad34ce3fef2e5541de78ffa506e9a8740f2504de787a6665c33580989060c00160405180910390a45050505097509795505050505050565b61109e8282610763565b610d7a5760405163e2517d3f60e01b81526001600160a01b038216600482015260248101839052604401610822565b6110e65f60025f5160206117035f395f51905f526113b7565b1561110457604051633ee5aeb560e01b815260040160405180910390fd5b565b5f5f5f83516020850186885af1949350505050565b6040513d5f823e3d81fd5b828114611150576040516355c5b3e360e11b81526004810184905260248101829052604401610822565b61010083111561117e57604051631f3ca81760e11b8152600481018490526101006024820152604401610822565b5f805b82811015611249575f86868381811061119c5761119c6115f7565b90506020020160208101906111b19190611445565b6001600160a01b0316036111db5760405163225070f360e01b815260048101829052602401610822565b5f8484838181106111ee576111ee6115f7565b905060200201359050805f148061120c5750670de0b6b3a764000081115b1561123457604051635b9789fd60e01b81526004810183905260248101829052604401610822565b61123e81846115e4565b925050600101611181565b50670de0b6b3a764000081146112835760405163bedd270960e01b815260048101829052670de0b6b3a76400006024820152604401610822565b5050505050565b5f805b848110156113ac575f670de0b6b3a76400008585848181106112b1576112b16115f7565b90506020020135896112c391906116a2565b6112cd91906116b9565b90508060035f8989868181106112e5576112e56115f7565b90506020020160208101906112fa9190611445565b6001600160a01b03166001600160a01b031681526020019081526020015f205f82825461132791906115e4565b90915550611337905081846115e4565b925086868381811061134b5761134b6115f7565b90506020020160208101906113609190611445565b6001600160a01b0316897fb43fac50f0719facee8ab7e56507040c002eff13470dac5fc096408bcb027fa58360405161139b91815260200190565b60405180910390a35060010161128d565b509695505050505050565b5414919050565b5f602082840312156113ce575f5ffd5b81356001600160e01b0319811681146113e5575f5ffd5b9392505050565b5f602082840312156113fc575f5ffd5b5035919050565b6001600160a01b0381168114610c0a575f5ffd5b5f5f60408385031215611428575f5ffd5b82359150602083013561143a81611403565b809150509250929050565b5f60208284031215611455575f5ffd5b81356113e581611403565b5f5f83601f840112611470575f5ffd5b50813567ffffffffffffffff811115611487575f5ffd5b6020830191508360208260051b85010111156114a1575f5ffd5b9250929050565b5f5f602083850312156114b9575f5ffd5b823567ffffffffffffffff8111156114cf575f5ffd5b6114db85828601611460565b90969095509350505050565b5f5f5f5f5f5f608087890312156114fc575f5ffd5b8635955060208701359450604087013567ffffffffffffffff811115611520575f5ffd5b61152c89828a01611460565b909550935050606087013567ffffffffffffffff81111561154b575f5ffd5b61155789828a01611460565b979a9699509497509295939492505050565b803561ffff8116811461157a575f5ffd5b919050565b5f5f5f5f60808587031215611592575f5ffd5b61159b85611569565b93506115a960208601611569565b92506115b760408601611569565b91506115c560608601611569565b905092959194509250565b634e487b7160e01b5f52601160045260245ffd5b808201808211156105dd576105dd6115d0565b634e487b7160e01b5f52603260045260245ffd5b5f8235609e1983360301811261161f575f5ffd5b9190910192915050565b5f5f8335601e1984360301811261163e575f5ffd5b83018035915067ffffffffffffffff821115611658575f5ffd5b6020019150600581901b36038213156114a1575f5ffd5b5f6020828403121561167f575f5ffd5b81516113e581611403565b5f6001820161169b5761169b6115d0565b5060010190565b80820281158282048414176105dd576105dd6115d0565b5f826116d357634e487b7160e01b5f52601260045260245ffd5b500490565b5f602082840312156116e8575f5ffd5b5051919050565b818103818111156105dd576105dd6115d056fe9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00a26469706673582212201c56e513286bc9c6d22a05a44bb67ed8450c0fd268040426aa12ec7d39315e1464736f6c63430008250033',
} as const
